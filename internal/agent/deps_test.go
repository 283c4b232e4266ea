package agent

import (
	"os/exec"
	"strings"
	"testing"
)

// The agent side links none of the server's implementation: the join
// protocol is package joinprotocol's, and bin/shoal-agent (ADR 0013) is
// only small because of this.
func TestAgentSideLinksNoServerPackage(t *testing.T) {
	const mod = "github.com/shoal-dev/shoal/internal/"
	out, err := exec.Command("go", "list", "-deps", "-tags", "agentonly", "../../cmd/shoal").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 100 {
		t.Fatalf("go list found %d packages: %s", len(deps), out)
	}
	for _, d := range deps {
		for _, server := range []string{"supervisor", "server", "controlplane", "datastore", "snapshot", "bootstrap", "encryption"} {
			if d == mod+server {
				t.Errorf("the agent's build links %s", d)
			}
		}
		if strings.HasPrefix(d, "k8s.io/kubernetes/cmd/kube-apiserver") || strings.HasPrefix(d, "github.com/k3s-io/kine") {
			t.Errorf("the agent's build links %s", d)
		}
	}
}
