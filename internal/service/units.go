package service

import (
	"bytes"
	"text/template"
)

// Init is the init system a unit is written for.
type Init string

// The init systems shoal writes for.
const (
	Systemd Init = "systemd"
	OpenRC  Init = "openrc"
)

// unitData fills the unit templates.
type unitData struct {
	Name, Role, Binary, EnvFile string
}

// systemdUnit is K3s's unit for the same job: Type=notify (shoal says
// READY=1 once its node is up), KillMode=process so that a restart keeps
// the pods (their shims are in the unit's cgroup) and the self-upgrade
// watchdog survives the process it watches (ADR 0007), Delegate=yes for
// kubelet's cgroups, Restart=always after 5 s (the watchdog waits 10 s
// for it before it re-executes shoal itself).
var systemdUnit = template.Must(template.New("systemd").Parse(`[Unit]
Description=shoal: lightweight Kubernetes ({{.Role}})
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
Type=notify
EnvironmentFile=-{{.EnvFile}}
KillMode=process
Delegate=yes
User=root
LimitNOFILE=1048576
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStartPre=-/sbin/modprobe br_netfilter
ExecStartPre=-/sbin/modprobe overlay
ExecStart={{.Binary}} {{.Role}}
`))

// openrcScript is the same for OpenRC (Alpine-like devices), supervised
// by supervise-daemon as K3s's is.
var openrcScript = template.Must(template.New("openrc").Parse(`#!/sbin/openrc-run
# shoal: lightweight Kubernetes ({{.Role}}). Written by shoal install.

depend() {
	after network-online
	want cgroups
}

supervisor=supervise-daemon
name={{.Name}}
command="{{.Binary}}"
command_args="{{.Role}}"
output_log=/var/log/{{.Name}}.log
error_log=/var/log/{{.Name}}.log
pidfile="/var/run/{{.Name}}.pid"
respawn_delay=5
respawn_max=0

set -o allexport
if [ -f {{.EnvFile}} ]; then . {{.EnvFile}}; fi
set +o allexport
`))

// render writes the unit of init for d.
func render(init Init, d unitData) ([]byte, error) {
	t := systemdUnit
	if init == OpenRC {
		t = openrcScript
	}
	var b bytes.Buffer
	err := t.Execute(&b, d)
	return b.Bytes(), err
}
