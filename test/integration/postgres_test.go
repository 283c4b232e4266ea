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
// postgres user on 127.0.0.1 and returns its port; it is stopped and
// removed at cleanup.
func startPostgres(t *testing.T) int {
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
	port := freePort(t)
	srv := asPostgres("postgres", "-D", dir+"/data", "-k", dir, "-p", fmt.Sprint(port), "-c", "listen_addresses=127.0.0.1")
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Process.Signal(syscall.SIGINT) // fast shutdown
		_ = srv.Wait()
	})
	eventually(t, 30*time.Second, "PostgreSQL accepts connections", func() (bool, string) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
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
	pgPort := startPostgres(t)
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
