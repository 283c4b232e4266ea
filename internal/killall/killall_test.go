package killall

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

func TestFilterRulesDropsOnlyOurs(t *testing.T) {
	dump := `*nat
:PREROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:FLANNEL-POSTRTG - [0:0]
:CNI-HOSTPORT-DNAT - [0:0]
:MY-CHAIN - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG
-A PREROUTING -p tcp --dport 2222 -j MY-CHAIN
COMMIT
`
	kept, changed := filterRules([]byte(dump))
	want := "*nat\n:PREROUTING ACCEPT [0:0]\n:MY-CHAIN - [0:0]\n-A PREROUTING -p tcp --dport 2222 -j MY-CHAIN\nCOMMIT\n"
	if !changed || string(kept) != want {
		t.Errorf("changed %v, kept:\n%s", changed, kept)
	}
	if _, changed := filterRules([]byte("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n")); changed {
		t.Error("a host without shoal's rules changed")
	}
}

func TestMountsUnderDeepestFirst(t *testing.T) {
	info := filepath.Join(t.TempDir(), "mountinfo")
	body := `22 1 8:1 / / rw - ext4 /dev/vda1 rw
30 22 0:40 / /var/lib/shoal/agent/containerd/state/netns/cni-1 rw - nsfs nsfs rw
31 22 0:41 / /var/lib/shoal/agent/kubelet/pods/uid/volumes/kubernetes.io~projected/kube\040api rw - tmpfs tmpfs rw
32 22 0:42 / /var/lib/shoal/agent/kubelet rw - tmpfs tmpfs rw
33 22 0:43 / /var/lib/shoalish rw - tmpfs tmpfs rw
34 22 0:44 / /run/other rw - tmpfs tmpfs rw
`
	if err := os.WriteFile(info, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := mountsUnder(info, "/var/lib/shoal")
	want := []string{
		"/var/lib/shoal/agent/kubelet/pods/uid/volumes/kubernetes.io~projected/kube api",
		"/var/lib/shoal/agent/containerd/state/netns/cni-1",
		"/var/lib/shoal/agent/kubelet",
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v", got, err)
	}
}

// Only the lock holder and what runs from a binary under the data dir are
// shoal's; a shell whose command line names the data dir is not.
func TestShoalsOfAndTheirTrees(t *testing.T) {
	all := []proc{
		{pid: 1, ppid: 0, exe: "/sbin/init"},
		{pid: 100, ppid: 1, exe: "/usr/local/bin/shoal", cmdline: []string{"shoal", "server"}},
		{pid: 101, ppid: 100, exe: "/d/agent/bin/containerd", cmdline: []string{"containerd", "--config", "/d/agent/etc/containerd/config.toml"}},
		{pid: 200, ppid: 1, exe: "/d/agent/bin/containerd-shim-runc-v2 (deleted)"},
		{pid: 201, ppid: 200, exe: "/pause"},
		{pid: 202, ppid: 200, exe: "/usr/bin/nginx"},
		{pid: 203, ppid: 202, exe: "/usr/bin/nginx"},
		{pid: 300, ppid: 1, exe: "/usr/bin/vim", cmdline: []string{"vim", "/d/agent/etc/containerd/config.toml"}},
		{pid: 400, ppid: 1, exe: "/d-other/agent/bin/containerd"},
		{pid: 500, ppid: 1, exe: "/d/agent/bin/shoal"}, // the killall itself, run from an unpacked release
	}
	mains, others := shoalsOf(all, "/d", map[int]bool{100: true}, 500)
	if len(mains) != 1 || mains[0].pid != 100 {
		t.Errorf("mains %+v", mains)
	}
	var pids []int
	for _, p := range others {
		pids = append(pids, p.pid)
	}
	if !reflect.DeepEqual(pids, []int{101, 200}) {
		t.Errorf("others %v, want containerd and the shim", pids)
	}
	if got := descendants(all, others, 500); !reflect.DeepEqual(got, []int{101, 200, 201, 202, 203}) {
		t.Errorf("trees %v", got)
	}
}

func TestLockHoldersFromProcLocks(t *testing.T) {
	lock := filepath.Join(t.TempDir(), ".lock")
	f, err := os.Create(lock)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	holders := lockHolders("/proc", []string{lock, "/nonexistent/.lock"})
	if !holders[os.Getpid()] || len(holders) != 1 {
		t.Errorf("holders %v, want this process (%d)", holders, os.Getpid())
	}
}

func TestRunRefusesTheRoot(t *testing.T) {
	if err := Run("/", os.Stdout); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Errorf("err %v", err)
	}
}
