package containerd

import (
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

func TestRenderIsValidTOMLWithHostSettings(t *testing.T) {
	p := NewPaths("/var/lib/shoal/agent")
	tests := []struct {
		name string
		s    Settings
		want []string
		not  []string
	}{
		{"cgroupfs, runc on PATH", Settings{Paths: p}, []string{"SystemdCgroup = false", "restrict_oom_score_adj = true", `sandbox = "registry.k8s.io/pause:3.10.2"`}, []string{"BinaryName"}},
		{"systemd, shipped runc", Settings{Paths: p, SystemdCgroup: true, RuncBinary: "/var/lib/shoal/data/bin/runc"}, []string{"SystemdCgroup = true", `BinaryName = "/var/lib/shoal/data/bin/runc"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Render(tt.s)
			if err != nil {
				t.Fatal(err)
			}
			var parsed map[string]any
			if err := toml.Unmarshal(out, &parsed); err != nil {
				t.Fatalf("not TOML: %v\n%s", err, out)
			}
			if parsed["version"] != int64(3) || parsed["root"] != "/var/lib/shoal/agent/containerd" {
				t.Fatalf("version/root: %v %v", parsed["version"], parsed["root"])
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("config lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(string(out), n) {
					t.Errorf("config has %q", n)
				}
			}
		})
	}
}
