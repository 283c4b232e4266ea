package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAgentCommandJoinsTheLocalServer runs `shoal server --disable-agent`
// and then `shoal agent` on the same data dir: the node registers with its
// labels and taints and becomes Ready; a second agent is refused; the
// image import command names a bad file.
func TestAgentCommandJoinsTheLocalServer(t *testing.T) {
	h := newHost(t, "shoal-a1", 92)
	dir := t.TempDir()
	t.Cleanup(func() { releaseNode(t, h, dir) })

	out, err := exec.Command("nsenter", "--net=/var/run/netns/"+h.name, shoalBin(t), "agent", "-d", dir).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no shoal server has run here") {
		t.Fatalf("agent without a server: %v\n%s", err, out)
	}

	s := startServerIn(t, h.name, dir, 6443, "-d", dir, "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"), "--disable-agent")
	s.waitReady(90 * time.Second)
	a := startShoalIn(t, h.name, "agent", dir, 0, "-d", dir, "--node-name", h.name, h.cgroupRootArg(),
		"--node-label", "shoal.dev/role=edge", "--node-taint", "shoal.dev/dedicated=bench:NoSchedule")
	a.waitLine("node "+h.name+" Ready", 3*time.Minute)

	got := s.mustKubectl(33, "", "get", "node", h.name, "-o",
		"jsonpath={.metadata.labels.shoal\\.dev/role} {.spec.taints[0].key}={.spec.taints[0].value}:{.spec.taints[0].effect} {.spec.podCIDR}")
	if got != "edge shoal.dev/dedicated=bench:NoSchedule 10.42.0.0/24" {
		t.Errorf("node labels/taints/podCIDR: %q", got)
	}

	out, err = exec.Command("nsenter", "--net=/var/run/netns/"+h.name, shoalBin(t), "agent", "-d", dir, "--node-name", "other").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "another shoal agent") {
		t.Errorf("second agent on one data dir: %v\n%s", err, out)
	}

	cmd := exec.Command(shoalBin(t), "images", "import", filepath.Join(dir, "server", "etc", "cluster.json"))
	cmd.Env = []string{"CONTAINERD_ADDRESS=" + filepath.Join(dir, "agent", "run", "containerd", "containerd.sock")}
	out, err = cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "cluster.json") || strings.Count(strings.TrimSpace(string(out)), "\n") > 0 {
		t.Errorf("importing a non-image: want a one-line error naming the file, got %v\n%s", err, out)
	}

	// An OCI-layout tarball, gzipped: export the pause image with ctr,
	// remove it, import it back.
	oci := filepath.Join(t.TempDir(), "pause-oci.tar")
	// --local: through the transfer API the client may exit before the
	// last bytes of the stream are written (a truncated blob, seen in CI).
	shoalIn(t, dir, "ctr", "images", "export", "--local", oci, "registry.k8s.io/pause:3.10.2")
	if out, err := exec.Command("gzip", oci).CombinedOutput(); err != nil {
		t.Fatalf("gzip: %v %s", err, out)
	}
	shoalIn(t, dir, "ctr", "images", "rm", "registry.k8s.io/pause:3.10.2")
	if out := shoalIn(t, dir, "images", "import", oci+".gz"); !strings.Contains(out, "imported registry.k8s.io/pause:3.10.2") {
		t.Errorf("OCI import: %s", out)
	}
	if out := shoalIn(t, dir, "crictl", "images"); !strings.Contains(out, "registry.k8s.io/pause") {
		t.Errorf("pause missing after OCI import:\n%s", out)
	}

	if err := a.stop(60 * time.Second); err != nil {
		t.Errorf("agent stop: %v\n%s", err, a.out.String())
	}
}

// shoalIn runs a shoal client command against the node of dataDir.
func shoalIn(t *testing.T, dataDir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(shoalBin(t), args...)
	cmd.Env = append(os.Environ(), "CONTAINERD_ADDRESS="+filepath.Join(dataDir, "agent", "run", "containerd", "containerd.sock"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("shoal %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
