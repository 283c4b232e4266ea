package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
)

// host is a network namespace standing for one machine: a veth pair links
// it to the test's own namespace, which routes for it.
type host struct {
	name   string
	ip     string // the namespace's address (the node IP)
	peerIP string // the test side of the veth
}

// cgroupRootArg gives the node's pods a cgroup tree of their own, so that
// nodes sharing this machine never touch each other's pods.
func (h *host) cgroupRootArg() string { return "--kubelet-arg=cgroup-root=/" + h.name }

// newHost creates netns name with address 10.<n>.0.2/24 behind a veth
// whose host end is 10.<n>.0.1, and removes everything at cleanup.
func newHost(t *testing.T, name string, n int) *host {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("node tests need root (network namespaces, mounts, cgroups)")
	}
	h := &host{name: name, ip: fmt.Sprintf("10.%d.0.2", n), peerIP: fmt.Sprintf("10.%d.0.1", n)}
	veth := "vh-" + name
	run(t, "ip", "netns", "del", name) // a leftover of a killed run
	run(t, "ip", "link", "del", veth)
	steps := [][]string{
		{"ip", "netns", "add", name},
		{"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", name},
		{"ip", "addr", "add", h.peerIP + "/24", "dev", veth},
		{"ip", "link", "set", veth, "up"},
		{"ip", "-n", name, "addr", "add", h.ip + "/24", "dev", "eth0"},
		{"ip", "-n", name, "link", "set", "eth0", "up"},
		{"ip", "-n", name, "link", "set", "lo", "up"},
		{"ip", "-n", name, "route", "add", "default", "via", h.peerIP},
	}
	for _, s := range steps {
		if out, err := exec.Command(s[0], s[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	t.Cleanup(func() {
		run(t, "ip", "netns", "del", name)
		run(t, "ip", "link", "del", veth)
	})
	return h
}

// exec runs a command inside the namespace and returns its output.
func (h *host) exec(args ...string) (string, error) {
	out, err := exec.Command("nsenter", append([]string{"--net=/var/run/netns/" + h.name}, args...)...).CombinedOutput()
	return string(out), err
}

func run(t *testing.T, name string, args ...string) {
	_ = exec.Command(name, args...).Run()
}

// releaseNode kills what a node leaves behind once shoal has stopped —
// containerd shims and the containers under them, in the namespace — and
// unmounts what kubelet and containerd mounted under dataDir, so that the
// test's temp dir can be removed.
func releaseNode(t *testing.T, h *host, dataDir string) {
	out, _ := exec.Command("ip", "netns", "pids", h.name).Output()
	for _, f := range strings.Fields(string(out)) {
		var pid int
		if _, err := fmt.Sscan(f, &pid); err == nil {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	// Pod processes live in their own network namespaces: find them by
	// their cgroup (the tests give each node its own --cgroup-root).
	killCgroup("/sys/fs/cgroup/pids/" + h.name)
	killCgroup("/sys/fs/cgroup/" + h.name)
	for _, m := range mountsUnder(dataDir) {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	hierarchies, _ := os.ReadDir("/sys/fs/cgroup")
	for _, hi := range hierarchies {
		removeCgroupTree(filepath.Join("/sys/fs/cgroup", hi.Name(), h.name))
	}
}

// removeCgroupTree removes an emptied cgroup and its children.
func removeCgroupTree(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() {
			removeCgroupTree(filepath.Join(dir, e.Name()))
		}
	}
	_ = os.Remove(dir)
}

func killCgroup(dir string) {
	_ = walkProcs(dir, func(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) })
}

func walkProcs(dir string, f func(int)) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if b, err := os.ReadFile(dir + "/cgroup.procs"); err == nil {
		for _, l := range strings.Fields(string(b)) {
			var pid int
			if _, err := fmt.Sscan(l, &pid); err == nil {
				f(pid)
			}
		}
	}
	for _, e := range entries {
		if e.IsDir() {
			_ = walkProcs(dir+"/"+e.Name(), f)
		}
	}
	return nil
}

// mountsUnder lists mount points below dir, deepest first.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && strings.HasPrefix(fields[4], dir+"/") {
			out = append(out, fields[4])
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}
