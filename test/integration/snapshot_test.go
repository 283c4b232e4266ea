package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSnapshotRestore: a snapshot taken online, a namespace deleted, the
// snapshot restored with --cluster-reset: the namespace is back, on the
// same data dir and on a fresh one (given the token: same CAs, so the old
// kubeconfig still works). SQLite in this namespace; embedded etcd on a
// test host.
func TestSnapshotRestore(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testSnapshotRestore(t, "", freePort(t)) })
	t.Run("etcd", func(t *testing.T) {
		l := newLAN(t, "shoal-s", 91)
		h := l.host(t, "shoal-s1", 2)
		testSnapshotRestore(t, h.name, 6443, "--cluster-init")
	})
}

func testSnapshotRestore(t *testing.T, netns string, port int, extra ...string) {
	dir := t.TempDir()
	args := func(d string) []string {
		return append([]string{"-d", d, "--https-listen-port", fmt.Sprint(port), "--write-kubeconfig", filepath.Join(d, "kubeconfig.yaml"),
			"--disable-agent", "--disable", "metrics-server,coredns,ingress,servicelb,local-storage"}, extra...)
	}
	shoal := func(args ...string) (string, error) { return shoalInNetns(t, netns, args...) }
	s := startServerIn(t, netns, dir, port, args(dir)...)
	s.waitReady(3 * time.Minute)
	s.mustKubectl(33, "", "create", "namespace", "keep-me")
	s.mustKubectl(33, "", "-n", "keep-me", "create", "configmap", "note", "--from-literal=text=restored")

	// shoal datastore status reads the running server's datastore.
	kind := "sqlite"
	if len(extra) > 0 {
		kind = "embedded etcd"
	}
	status, err := shoal("datastore", "status", "-d", dir)
	m := regexp.MustCompile(`live keys: +([0-9]+)`).FindStringSubmatch(status)
	if err != nil || m == nil || len(m[1]) < 2 || !strings.Contains(status, "datastore:   "+kind) {
		t.Errorf("datastore status: want %s with tens of live keys: %v\n%s", kind, err, status)
	}

	out, err := shoal("etcd-snapshot", "save", "-d", dir)
	if err != nil || !strings.Contains(out, "snapshot saved: ") {
		t.Fatalf("save: %v\n%s", err, out)
	}
	snap := strings.TrimSpace(out[strings.Index(out, "snapshot saved: ")+len("snapshot saved: "):])
	if ls, _ := shoal("etcd-snapshot", "ls", "-d", dir); !strings.Contains(ls, filepath.Base(snap)) {
		t.Errorf("ls does not show %s:\n%s", snap, ls)
	}
	s.mustKubectl(33, "", "delete", "namespace", "keep-me", "--wait=true", "--timeout=60s")
	if err := s.stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	tok, err := os.ReadFile(filepath.Join(dir, "server", "token"))
	if err != nil {
		t.Fatal(err)
	}
	oldKubeconfig := s.kubeconfig

	restoreInto := func(d string, more ...string) *server {
		out, err := shoal(append(append([]string{"server", "--cluster-reset", "--cluster-reset-restore-path", snap}, args(d)...), more...)...)
		if err != nil || !strings.Contains(out, "restart without --cluster-reset") {
			t.Fatalf("restore into %s: %v\n%s", d, err, out)
		}
		restored := startServerIn(t, netns, d, port, args(d)...)
		restored.waitReady(3 * time.Minute)
		if got := restored.mustKubectl(33, "", "-n", "keep-me", "get", "configmap", "note", "-o", "jsonpath={.data.text}"); got != "restored" {
			t.Errorf("after restore into %s the ConfigMap reads %q", d, got)
		}
		// New writes work: revisions continue after the restored ones.
		restored.mustKubectl(33, "", "-n", "keep-me", "create", "configmap", "after-restore")
		return restored
	}
	if err := restoreInto(dir).stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}

	fresh := t.TempDir()
	if out, err := shoal(append([]string{"server", "--cluster-reset", "--cluster-reset-restore-path", snap}, args(fresh)...)...); err == nil ||
		!strings.Contains(out, "give --token") {
		t.Errorf("restore onto a fresh data dir without --token: %v\n%s", err, out)
	}
	s = restoreInto(fresh, "--token", strings.TrimSpace(string(tok)))
	ca1, _ := os.ReadFile(filepath.Join(dir, "server", "tls", "server-ca.crt"))
	ca2, _ := os.ReadFile(filepath.Join(fresh, "server", "tls", "server-ca.crt"))
	if len(ca1) == 0 || !bytes.Equal(ca1, ca2) {
		t.Errorf("the fresh machine has another server CA than the cluster's")
	}
	s.kubeconfig = oldKubeconfig // issued by the original server
	if got := s.mustKubectl(33, "", "-n", "keep-me", "get", "configmap", "note", "-o", "name"); strings.TrimSpace(got) != "configmap/note" {
		t.Errorf("the original kubeconfig on the restored machine: %q", got)
	}
}
