package integration

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServerAddressChange: a SQLite server started without an address
// follows its interface to a new one (its node Ready with the new
// InternalIP, the API serving); a server on embedded etcd restarted on a
// host whose address changed fails with one line saying what to run.
// (An agent's address change is in TestMultiNode.)
func TestServerAddressChange(t *testing.T) {
	l := newLAN(t, "shoal-n", 88)
	t.Run("sqlite follows", func(t *testing.T) {
		h := l.host(t, "shoal-n1", 2)
		dir := t.TempDir()
		t.Cleanup(func() { releaseNode(t, h, dir) })
		s := startServerIn(t, h.name, dir, 6443, "-d", dir, "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"),
			"--node-name", h.name, h.cgroupRootArg(), "--disable", "metrics-server,coredns,ingress,servicelb,local-storage")
		s.waitLine("node "+h.name+" Ready", 3*time.Minute)
		old, moved := h.ip, "10.88.0.12"
		h.renumber(t, moved)
		changed := time.Now()
		eventually(t, 60*time.Second, h.name+" Ready with InternalIP "+moved, func() (bool, string) {
			out, _ := s.kubectl(33, "", "get", "node", h.name, "-o", `jsonpath={.status.addresses[?(@.type=="InternalIP")].address} {.status.conditions[?(@.type=="Ready")].status}`)
			return out == moved+" True", out
		})
		t.Logf("server Ready on its new address %.1fs after it moved", time.Since(changed).Seconds())
		if !strings.Contains(s.out.String(), "node address changed from "+old+" to "+moved) {
			t.Errorf("the server did not say it followed the address:\n%s", tail(s.out.String(), 10))
		}
		// The kubernetes Service now leads to the new address.
		eventually(t, 30*time.Second, "the kubernetes EndpointSlice has "+moved, func() (bool, string) {
			out, _ := s.kubectl(33, "", "get", "endpointslice", "kubernetes", "-o", "jsonpath={.endpoints[*].addresses[*]}")
			return out == moved, out
		})
	})
	t.Run("embedded etcd refuses", func(t *testing.T) {
		h := l.host(t, "shoal-n2", 3)
		dir := t.TempDir()
		t.Cleanup(func() { releaseNode(t, h, dir) })
		args := []string{"-d", dir, "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"), "--cluster-init",
			"--disable-agent", "--disable", "metrics-server,coredns,ingress,servicelb,local-storage"}
		s := startServerIn(t, h.name, dir, 6443, args...)
		s.waitReady(3 * time.Minute)
		if err := s.stop(60 * time.Second); err != nil {
			t.Fatal(err)
		}
		h.renumber(t, "10.88.0.13")
		refused(t, startServerIn(t, h.name, dir, 6443, args...),
			"--advertise-address: this etcd member is known to its cluster at https://10.88.0.3:2380, but this host is now https://10.88.0.13:2380")
	})
}
