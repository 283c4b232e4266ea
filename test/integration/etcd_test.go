package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEmbeddedEtcdHA: three servers on embedded etcd (the first with
// --cluster-init, two joining it) and an agent joined to the first. The
// first is killed with SIGKILL while a client writes 1,000 ConfigMaps
// through the second: the API keeps answering (within 15 s), the agent
// moves to another server and keeps its node lease renewed, and every
// acknowledged write is on every server after the killed one restarts.
func TestEmbeddedEtcdHA(t *testing.T) {
	l := newLAN(t, "shoal-e", 92)
	hosts := []*host{l.host(t, "shoal-e1", 2), l.host(t, "shoal-e2", 3), l.host(t, "shoal-e3", 4)}
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	args := func(i int, extra ...string) []string {
		return append([]string{"-d", dirs[i], "--write-kubeconfig", filepath.Join(dirs[i], "kubeconfig.yaml"),
			"--disable-agent", "--disable", "metrics-server,coredns,ingress,servicelb,local-storage"}, extra...)
	}
	servers := make([]*server, 3)
	servers[0] = startServerIn(t, hosts[0].name, dirs[0], 6443, args(0, "--cluster-init")...)
	servers[0].waitReady(3 * time.Minute)
	tok, err := os.ReadFile(filepath.Join(dirs[0], "server", "token"))
	if err != nil {
		t.Fatal(err)
	}
	join := func(i int) []string {
		return args(i, "--server", "https://"+hosts[0].ip+":6443", "--token", strings.TrimSpace(string(tok)))
	}
	for i := 1; i < 3; i++ {
		servers[i] = startServerIn(t, hosts[i].name, dirs[i], 6443, join(i)...)
		servers[i].waitReady(3 * time.Minute)
		if !strings.Contains(servers[i].out.String(), "added to the cluster of https://"+hosts[0].ip+":2379") {
			t.Errorf("server %d did not report joining etcd:\n%s", i+1, servers[i].out.String())
		}
	}
	servers[0].mustKubectl(33, "", "create", "configmap", "from-one")
	if out := servers[2].mustKubectl(33, "", "get", "configmap", "from-one", "-o", "name"); strings.TrimSpace(out) != "configmap/from-one" {
		t.Fatalf("third server does not see the first's write: %q", out)
	}

	a := newJoiner(t, l, "shoal-e4", 5)
	ag := a.start(t, "https://"+hosts[0].ip+":6443", strings.TrimSpace(string(tok)))
	ag.waitLine("node "+a.h.name+" Ready", 3*time.Minute)
	eventually(t, 60*time.Second, "the agent knows all three servers", func() (bool, string) {
		b, _ := os.ReadFile(filepath.Join(a.dir, "agent", "etc", "servers.json"))
		return strings.Count(string(b), ":6443") == 3, string(b)
	})

	// The first server started the cluster and most likely leads it:
	// killing it forces an election while the client writes to the second.
	cs := clientFor(t, servers[1], hosts[1].ip+":6443")
	w := writeConfigMaps(t, cs, "ha", 1000)
	select {
	case <-w.after(300):
	case <-time.After(3 * time.Minute):
		t.Fatal("300 writes not acknowledged")
	}
	if err := servers[0].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-servers[0].exited
	killed := time.Now()
	acked := w.wait(t)
	w.mu.Lock()
	gap := w.maxGap
	w.mu.Unlock()
	if len(acked) != 1000 {
		t.Errorf("%d of 1000 writes acknowledged with one server of three down", len(acked))
	}
	if gap > 15*time.Second {
		t.Errorf("the API stopped answering writes for %.1fs after kill -9 of one server (want < 15 s)", gap.Seconds())
	}
	if lost := missing(t, cs, "ha", acked); len(lost) > 0 {
		t.Errorf("%d acknowledged writes lost on the second server: %v", len(lost), lost)
	}

	eventually(t, 60*time.Second, "the agent renews its node lease through another server", func() (bool, string) {
		out, _ := servers[1].kubectl(33, "", "-n", "kube-node-lease", "get", "lease", a.h.name, "-o", "jsonpath={.spec.renewTime}")
		renewed, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(out))
		return err == nil && renewed.After(killed.Add(2*time.Second)), out
	})

	servers[0] = startServerIn(t, hosts[0].name, dirs[0], 6443, args(0, "--cluster-init")...)
	servers[0].waitReady(3 * time.Minute)
	for i, s := range servers {
		if lost := missing(t, clientFor(t, s, hosts[i].ip+":6443"), "ha", acked); len(lost) > 0 {
			t.Errorf("server %d: %d acknowledged writes missing: %v", i+1, len(lost), lost)
		}
	}
}

// TestExternalEtcd: a server on an etcd cluster it does not run (here
// another shoal's embedded etcd, reached with that etcd's client
// certificate, under its own key prefix), and a wrong CA refused at start.
func TestExternalEtcd(t *testing.T) {
	l := newLAN(t, "shoal-x", 94)
	h1, h2 := l.host(t, "shoal-x1", 2), l.host(t, "shoal-x2", 3)
	d1, d2 := t.TempDir(), t.TempDir()
	base := func(d string) []string {
		return []string{"-d", d, "--write-kubeconfig", filepath.Join(d, "kubeconfig.yaml"), "--disable-agent",
			"--disable", "metrics-server,coredns,ingress,servicelb,local-storage"}
	}
	etcd := startServerIn(t, h1.name, d1, 6443, append(base(d1), "--cluster-init")...)
	etcd.waitReady(3 * time.Minute)
	tls := filepath.Join(d1, "server", "tls", "etcd")
	external := append(base(d2), "--datastore-endpoint", "https://"+h1.ip+":2379",
		"--datastore-certfile", filepath.Join(tls, "client.crt"), "--datastore-keyfile", filepath.Join(tls, "client.key"),
		"--kube-apiserver-arg=etcd-prefix=/external")

	wrong := startServerIn(t, h2.name, d2, 6443, append(external, "--datastore-cafile", filepath.Join(d1, "server", "tls", "server-ca.crt"))...)
	select {
	case <-wrong.exited:
	case <-time.After(2 * time.Minute):
		t.Fatal("a server whose --datastore-cafile does not match the etcd kept running")
	}
	if !strings.Contains(wrong.errOut.String(), "--datastore-endpoint https://"+h1.ip+":2379") {
		t.Errorf("the error does not name the endpoint:\n%s", tail(wrong.errOut.String(), 5))
	}

	s := startServerIn(t, h2.name, d2, 6443, append(external, "--datastore-cafile", filepath.Join(tls, "server-ca.crt"))...)
	s.waitReady(3 * time.Minute)
	s.mustKubectl(33, "", "create", "configmap", "on-external-etcd")
	if out := s.mustKubectl(33, "", "get", "configmap", "on-external-etcd", "-o", "name"); strings.TrimSpace(out) != "configmap/on-external-etcd" {
		t.Errorf("get: %q", out)
	}
	if out, err := etcd.kubectl(33, "", "get", "configmap", "on-external-etcd"); err == nil {
		t.Errorf("the etcd's own cluster sees the other prefix's object: %s", out)
	}
	if _, err := os.Stat(filepath.Join(d2, "server", "db", "etcd")); err == nil {
		t.Error("a server on external etcd started an embedded one")
	}
}
