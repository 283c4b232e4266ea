package integration

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSnapshotRestore: a snapshot taken online, a namespace deleted, the
// snapshot restored with --cluster-reset: the namespace is back, on the
// same data dir and on a fresh one.
func TestSnapshotRestore(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	args := func(d string) []string {
		return []string{"-d", d, "--https-listen-port", fmt.Sprint(port), "--write-kubeconfig", filepath.Join(d, "kubeconfig.yaml"),
			"--disable-agent", "--disable", "metrics-server"}
	}
	s := startServer(t, dir, port, args(dir)...)
	s.waitReady(2 * time.Minute)
	s.mustKubectl(33, "", "create", "namespace", "keep-me")
	s.mustKubectl(33, "", "-n", "keep-me", "create", "configmap", "note", "--from-literal=text=restored")

	out, err := exec.Command(shoalBin(t), "etcd-snapshot", "save", "-d", dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "snapshot saved: ") {
		t.Fatalf("save: %v\n%s", err, out)
	}
	snap := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(string(out)), "snapshot saved: "))
	if ls, _ := exec.Command(shoalBin(t), "etcd-snapshot", "ls", "-d", dir).CombinedOutput(); !strings.Contains(string(ls), filepath.Base(snap)) {
		t.Errorf("ls does not show %s:\n%s", snap, ls)
	}
	s.mustKubectl(33, "", "delete", "namespace", "keep-me", "--wait=true", "--timeout=60s")
	if err := s.stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}

	restoreInto := func(d string) {
		out, err := exec.Command(shoalBin(t), append([]string{"server", "--cluster-reset", "--cluster-reset-restore-path", snap}, args(d)...)...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "restart without --cluster-reset") {
			t.Fatalf("restore into %s: %v\n%s", d, err, out)
		}
		s := startServer(t, d, port, args(d)...)
		s.waitReady(2 * time.Minute)
		if got := s.mustKubectl(33, "", "-n", "keep-me", "get", "configmap", "note", "-o", "jsonpath={.data.text}"); got != "restored" {
			t.Errorf("after restore into %s the ConfigMap reads %q", d, got)
		}
		// New writes work: revisions continue after the restored ones.
		s.mustKubectl(33, "", "-n", "keep-me", "create", "configmap", "after-restore")
		if err := s.stop(60 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	restoreInto(dir)
	restoreInto(t.TempDir()) // a fresh machine: new certificates, the cluster's objects
}
