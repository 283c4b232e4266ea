package controlplane

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/datastore"
)

func testConfig(t *testing.T, args ...string) *config.Server {
	t.Helper()
	cfg := &config.Server{}
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	cfg.AddFlags(fs)
	if err := fs.Parse(append([]string{"--data-dir=" + t.TempDir(), "--advertise-address=192.0.2.10"}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Complete(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestArgvParsesWithUpstreamFlags checks every flag shoal passes exists in
// the upstream component at this Kubernetes version, and that user args
// are merged last.
func TestArgvParsesWithUpstreamFlags(t *testing.T) {
	cfg := testConfig(t, "--kube-apiserver-arg=v=3", "--kube-controller-manager-arg=node-monitor-grace-period=20s",
		"--kube-scheduler-arg=leader-elect=true")
	c := certs.Layout(cfg.Paths)
	api := NewAPIServer(cfg, c, datastore.Client{Endpoints: []string{"https://127.0.0.1:2379"}, CAFile: "/ca", CertFile: "/c", KeyFile: "/k"}, nil)
	kcm := NewControllerManager(cfg, c, nil)
	sched := NewScheduler(cfg)
	tests := []struct {
		name string
		argv []string
		cmd  func() *cobra.Command
		want string
	}{
		{"kube-apiserver", api.Argv(), func() *cobra.Command { return apiserverCommand() }, "--v=3"},
		{"kube-controller-manager", kcm.Argv(), func() *cobra.Command { return controllerManagerCommand() }, "--node-monitor-grace-period=20s"},
		{"kube-scheduler", sched.Argv(), func() *cobra.Command { return sched.command() }, "--leader-elect=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cmd().ParseFlags(tt.argv); err != nil {
				t.Fatalf("upstream rejects shoal's argv: %v\n%s", err, strings.Join(tt.argv, " "))
			}
			if last := tt.argv[len(tt.argv)-1]; last != tt.want {
				t.Fatalf("last arg %q, want the user's %q", last, tt.want)
			}
		})
	}
}

func TestAPIServerArgsAreSecureByDefault(t *testing.T) {
	cfg := testConfig(t)
	argv := strings.Join(NewAPIServer(cfg, certs.Layout(cfg.Paths), datastore.Client{Endpoints: []string{"unix:///x"}}, nil).Argv(), " ")
	for _, want := range []string{"--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
		"--authentication-config=", "--client-ca-file=", "--service-cluster-ip-range=10.43.0.0/16", "--advertise-address=192.0.2.10"} {
		if !strings.Contains(argv, want) {
			t.Errorf("apiserver argv lacks %s", want)
		}
	}
	if strings.Contains(argv, "--anonymous-auth=true") || strings.Contains(argv, "insecure") {
		t.Errorf("apiserver argv weakens authentication: %s", argv)
	}
}

// --pod-eviction-timeout becomes the tolerations kube-apiserver gives pods,
// and 0 turns the taint eviction controller off instead.
func TestPodEvictionTimeout(t *testing.T) {
	for _, tt := range []struct {
		flag                 string
		tolerations, kcmWant string
	}{
		{"", "=300", "--controllers=*,tokencleaner"},
		{"--pod-eviction-timeout=1h", "=3600", "--controllers=*,tokencleaner"},
		{"--pod-eviction-timeout=0", "=300", "--controllers=*,tokencleaner,-taint-eviction-controller"},
	} {
		var args []string
		if tt.flag != "" {
			args = append(args, tt.flag)
		}
		cfg := testConfig(t, args...)
		api := strings.Join(NewAPIServer(cfg, certs.Layout(cfg.Paths), datastore.Client{Endpoints: []string{"unix:///x"}}, nil).Argv(), " ")
		for _, f := range []string{"--default-not-ready-toleration-seconds", "--default-unreachable-toleration-seconds"} {
			if !strings.Contains(api, f+tt.tolerations+" ") {
				t.Errorf("%q: apiserver argv lacks %s%s", tt.flag, f, tt.tolerations)
			}
		}
		kcm := NewControllerManager(cfg, certs.Layout(cfg.Paths), nil).Argv()
		if !slices.Contains(kcm, tt.kcmWant) {
			t.Errorf("%q: controller manager argv lacks %s: %v", tt.flag, tt.kcmWant, kcm)
		}
	}
	cfg := &config.Server{}
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	cfg.AddFlags(fs)
	_ = fs.Parse([]string{"--data-dir=" + t.TempDir(), "--pod-eviction-timeout=1.5s"})
	if err := cfg.Complete(); err == nil || !strings.Contains(err.Error(), "--pod-eviction-timeout") {
		t.Errorf("1.5s accepted: %v", err)
	}
}

// TestIdleWritesByDatastore: on SQLite (one server) the apiserver writes
// no endpoint or peer Leases and nothing elects a leader; on embedded etcd
// (servers may join) leaders are elected, renewing every 5 s. Every argv
// still parses with upstream's flags.
func TestIdleWritesByDatastore(t *testing.T) {
	for _, tt := range []struct {
		name        string
		args        []string
		api, notAPI []string
		kcm, sched  string
	}{
		{"sqlite", nil, []string{"--endpoint-reconciler-type=master-count", "--apiserver-count=1", "--feature-gates=UnknownVersionInteroperabilityProxy=false"},
			nil, "--leader-elect=false", "--leader-elect=false"},
		{"embedded etcd", []string{"--cluster-init"}, nil, []string{"--endpoint-reconciler-type", "UnknownVersionInteroperabilityProxy"},
			"--leader-elect-retry-period=5s", "--leader-elect-retry-period=5s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t, tt.args...)
			c := certs.Layout(cfg.Paths)
			api := NewAPIServer(cfg, c, datastore.Client{Endpoints: []string{"https://127.0.0.1:2379"}}, nil).Argv()
			kcm := NewControllerManager(cfg, c, nil).Argv()
			sched := NewScheduler(cfg)
			for _, w := range tt.api {
				if !slices.Contains(api, w) {
					t.Errorf("apiserver argv lacks %s", w)
				}
			}
			for _, w := range tt.notAPI {
				if strings.Contains(strings.Join(api, " "), w) {
					t.Errorf("apiserver argv has %s", w)
				}
			}
			if !slices.Contains(kcm, tt.kcm) || !slices.Contains(sched.Argv(), tt.sched) {
				t.Errorf("controller manager %v / scheduler %v: want %s / %s", kcm, sched.Argv(), tt.kcm, tt.sched)
			}
			for name, parse := range map[string]func() error{
				"kube-apiserver":          func() error { return apiserverCommand().ParseFlags(api) },
				"kube-controller-manager": func() error { return controllerManagerCommand().ParseFlags(kcm) },
				"kube-scheduler":          func() error { return sched.command().ParseFlags(sched.Argv()) },
			} {
				if err := parse(); err != nil {
					t.Errorf("%s rejects shoal's argv: %v", name, err)
				}
			}
		})
	}
}
