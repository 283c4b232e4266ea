package containerd

import (
	"bytes"
	"fmt"
	"path/filepath"
	"text/template"

	"github.com/shoal-dev/shoal/internal/runtimebin"
)

// SandboxImage is the pause image built by `make images` and pinned so
// that the CRI never tries to pull it.
const SandboxImage = runtimebin.PauseImageRef

// Paths is where one containerd keeps its files.
type Paths struct {
	Root, State, Socket, Config, Log string
	CNIBin, CNIConf                  string
}

// NewPaths derives every containerd path from the agent dir
// (<data-dir>/agent).
func NewPaths(agentDir string) Paths {
	return Paths{
		Root:    filepath.Join(agentDir, "containerd"),
		State:   filepath.Join(agentDir, "run", "containerd"),
		Socket:  filepath.Join(agentDir, "run", "containerd", "containerd.sock"),
		Config:  filepath.Join(agentDir, "etc", "containerd", "config.toml"),
		Log:     filepath.Join(agentDir, "containerd", "containerd.log"),
		CNIBin:  filepath.Join(agentDir, "bin"),
		CNIConf: filepath.Join(agentDir, "etc", "cni", "net.d"),
	}
}

// Content is containerd's content store (the image blobs) under Root.
func (p Paths) Content() string {
	return filepath.Join(p.Root, "io.containerd.content.v1.content")
}

// Settings are the host-dependent choices in the config.
type Settings struct {
	Paths
	RuncBinary    string // absolute path; empty means "runc" on PATH
	SystemdCgroup bool   // false on cgroupfs hosts (this one)
	MemoryLimit   int64  // containerd's Go soft memory limit in bytes (0: none; GOMEMLIMIT wins)
	ShimGroups    int    // shims the pods share (0: one per pod; SHOAL_SHIM_GROUPS wins)
	Nice          int    // added to shoal's nice value for containerd and what it starts (0: shoal's)
}

// ShimGroupsEnv is read by shoal's containerd-shim-runc-v2
// (tools/runtime/shim): the number of shims all pods share.
const ShimGroupsEnv = "SHOAL_SHIM_GROUPS"

var configTemplate = template.Must(template.New("config").Parse(`# Written by shoal at every start: changes made here are overwritten.
version = 3
root = "{{.Root}}"
state = "{{.State}}"

[grpc]
  address = "{{.Socket}}"

[plugins."io.containerd.cri.v1.runtime"]
  # Nothing may lower oom_score_adj on hosts without CAP_SYS_RESOURCE.
  restrict_oom_score_adj = true
  # Pod network namespaces under this containerd's state dir, not the
  # host-wide /var/run/netns: several nodes can share a machine.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        SystemdCgroup = {{.SystemdCgroup}}
{{- if .RuncBinary}}
        BinaryName = "{{.RuncBinary}}"
{{- end}}
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["{{.CNIBin}}"]
    conf_dir = "{{.CNIConf}}"

[plugins."io.containerd.cri.v1.images"]
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "` + SandboxImage + `"
`))

// Render returns containerd's config.toml for s.
func Render(s Settings) ([]byte, error) {
	var b bytes.Buffer
	if err := configTemplate.Execute(&b, s); err != nil {
		return nil, fmt.Errorf("containerd config: %w", err)
	}
	return b.Bytes(), nil
}
