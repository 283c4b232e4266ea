package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const pgBin = "/usr/lib/postgresql/15/bin"

// startPostgres runs a throwaway PostgreSQL (Debian's package) as the
// postgres user on listen (an address of the test's namespace), trusting
// every client (it is reachable only from this machine's test hosts), and
// returns its port; it is stopped and removed at cleanup.
func startPostgres(t *testing.T, listen string) int {
	t.Helper()
	if _, err := os.Stat(pgBin + "/postgres"); err != nil {
		t.Skip("PostgreSQL 15 is not installed (make deps installs it)")
	}
	pg, err := user.Lookup("postgres")
	if err != nil {
		t.Skip("no postgres user")
	}
	uid, _ := strconv.Atoi(pg.Uid)
	gid, _ := strconv.Atoi(pg.Gid)
	dir, err := os.MkdirTemp("/tmp", "shoal-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	asPostgres := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(pgBin, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		return cmd
	}
	if out, err := asPostgres("initdb", "-D", dir+"/data", "-U", "postgres", "--auth=trust").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	hba, err := os.OpenFile(dir+"/data/pg_hba.conf", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(hba, "host all all 0.0.0.0/0 trust")
	hba.Close()
	port := freePort(t)
	srv := asPostgres("postgres", "-D", dir+"/data", "-k", dir, "-p", fmt.Sprint(port), "-c", "listen_addresses="+listen)
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGINT) // fast shutdown
		_ = srv.Wait()
	})
	eventually(t, 30*time.Second, "PostgreSQL accepts connections", func() (bool, string) {
		c, err := net.Dial("tcp", net.JoinHostPort(listen, fmt.Sprint(port)))
		if err == nil {
			c.Close()
		}
		return err == nil, fmt.Sprint(err)
	})
	return port
}

// TestPostgresDatastore: --datastore-endpoint postgres://… runs the
// control plane on PostgreSQL through kine; objects survive a restart and
// watches deliver events.
func TestPostgresDatastore(t *testing.T) {
	pgPort := startPostgres(t, "127.0.0.1")
	dir := t.TempDir()
	port := freePort(t)
	args := []string{"-d", dir, "--https-listen-port", fmt.Sprint(port), "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"),
		"--disable-agent", "--disable", "metrics-server",
		"--datastore-endpoint", fmt.Sprintf("postgres://postgres:unused@127.0.0.1:%d/shoal?sslmode=disable", pgPort)}
	s := startServer(t, dir, port, args...)
	s.waitReady(2 * time.Minute)
	if _, err := os.Stat(filepath.Join(dir, "server", "db", "state.db")); !os.IsNotExist(err) {
		t.Errorf("a SQLite file was created although the datastore is PostgreSQL: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var watchOut syncBuffer
	watch := exec.CommandContext(ctx, kubectlPath(t, 33), "--kubeconfig", s.kubeconfig, "get", "configmaps", "-w", "-o", "name")
	watch.Stdout = &watchOut
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = watch.Wait() }()
	s.mustKubectl(33, "", "create", "configmap", "in-postgres", "--from-literal=k=v")
	eventually(t, 30*time.Second, "the watch sees the new ConfigMap", func() (bool, string) {
		return strings.Contains(watchOut.String(), "configmap/in-postgres"), watchOut.String()
	})

	if err := s.stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	s = startServer(t, dir, port, args...)
	s.waitReady(2 * time.Minute)
	if got := s.mustKubectl(33, "", "get", "configmap", "in-postgres", "-o", "jsonpath={.data.k}"); got != "v" {
		t.Errorf("after a restart on PostgreSQL the ConfigMap reads %q", got)
	}
}

// TestTwoServersOnPostgres: a second server joins the first with the
// server token (it receives the CAs) on the same PostgreSQL; with the
// first stopped, the second keeps serving and its watches get events.
func TestTwoServersOnPostgres(t *testing.T) {
	l := newLAN(t, "shoal-h", 97)
	pgPort := startPostgres(t, "10.97.0.1")
	endpoint := fmt.Sprintf("postgres://postgres:unused@10.97.0.1:%d/shoal?sslmode=disable", pgPort)
	h1, h2 := l.host(t, "shoal-h1", 2), l.host(t, "shoal-h2", 3)
	d1, d2 := t.TempDir(), t.TempDir()
	args := func(d string) []string {
		return []string{"-d", d, "--write-kubeconfig", filepath.Join(d, "kubeconfig.yaml"), "--disable-agent",
			"--disable", "metrics-server", "--datastore-endpoint", endpoint}
	}
	s1 := startServerIn(t, h1.name, d1, 6443, args(d1)...)
	s1.waitReady(2 * time.Minute)
	tok, err := os.ReadFile(filepath.Join(d1, "server", "token"))
	if err != nil {
		t.Fatal(err)
	}
	s2 := startServerIn(t, h2.name, d2, 6443, append(args(d2), "--server", "https://"+h1.ip+":6443", "--token", strings.TrimSpace(string(tok)))...)
	s2.waitReady(2 * time.Minute)
	if !strings.Contains(s2.out.String(), "joined the cluster of https://"+h1.ip+":6443") {
		t.Errorf("second server did not report its join:\n%s", s2.out.String())
	}
	s1.mustKubectl(33, "", "create", "configmap", "from-one")
	if out := s2.mustKubectl(33, "", "get", "configmap", "from-one", "-o", "name"); strings.TrimSpace(out) != "configmap/from-one" {
		t.Errorf("second server does not see the first's write: %q", out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var watchOut syncBuffer
	watch := exec.CommandContext(ctx, "nsenter", "--net=/var/run/netns/"+h2.name, kubectlPath(t, 33), "--kubeconfig", s2.kubeconfig,
		"get", "configmaps", "-w", "-o", "name")
	watch.Stdout = &watchOut
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = watch.Wait() }()
	if err := s1.stop(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	s2.mustKubectl(33, "", "create", "configmap", "after-one-stopped")
	eventually(t, 30*time.Second, "the watch on the second server sees the write", func() (bool, string) {
		return strings.Contains(watchOut.String(), "configmap/after-one-stopped"), watchOut.String()
	})
	if out := s2.mustKubectl(33, "", "get", "namespaces", "-o", "name"); !strings.Contains(out, "namespace/kube-system") {
		t.Errorf("second server: %s", out)
	}
}
