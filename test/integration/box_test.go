package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoal-dev/shoal/internal/box"
	"github.com/shoal-dev/shoal/internal/checkconfig"
)

// TestSmallBoxSizesItself: shoal started inside a 1 GiB memory cgroup
// reads its box and sizes itself to it — the Go soft memory limit of its
// process and of containerd, and the kubelet's settings: the pods'
// cgroup (kubepods) limited below the box, so that pods cannot take what
// the control plane needs, and at most the pods the box holds.
func TestSmallBoxSizesItself(t *testing.T) {
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err != nil {
		t.Skip("needs the cgroup v1 memory hierarchy (bench/box.sh covers cgroup v2)")
	}
	h := newHost(t, "shoal-box1", 98)
	dir := t.TempDir()
	t.Cleanup(func() { releaseNode(t, h, dir) })
	memcg := "/sys/fs/cgroup/memory/" + h.name
	if err := os.MkdirAll(memcg, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(memcg, "memory.limit_in_bytes"), []byte("1G"), 0o644); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(imagesDir(t), "shoal-echo-v1.tar"), filepath.Join(dir, "agent", "images", "shoal-echo-v1.tar"))
	s := newShoalCmd(t, shoalBin(t), h.name, "server", dir, 6443, "-d", dir, "--write-kubeconfig", filepath.Join(dir, "kubeconfig.yaml"),
		"--node-name", h.name, h.cgroupRootArg(), "--disable", "metrics-server,ingress,local-storage,servicelb,coredns")
	// The shell joins the box before shoal starts, so shoal reads it.
	s.cmd = exec.Command("sh", append([]string{"-c", `echo $$ >"$0/cgroup.procs" && exec "$@"`, memcg}, s.cmd.Args...)...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.errOut
	s.start()
	s.waitLine("node "+h.name+" Ready", 3*time.Minute)

	host, err := box.Detect("/")
	if err != nil {
		t.Fatal(err)
	}
	b := box.Box{Memory: 1 << 30, HostMemory: host.HostMemory}
	want := b.Kubelet(box.ServerWithNode)
	if line := "Go soft memory limit " + strconv.FormatInt(b.BudgetFor(box.ServerWithNode).Shoal>>20, 10) + " MiB"; !strings.Contains(s.out.String(), line) {
		t.Errorf("no %q in shoal's output", line)
	}
	// A disk that reads more than a device's readahead around each page
	// fault is named at start (this VM's disk: 8 MiB).
	if disk, kb, err := checkconfig.Readahead("/sys", shoalBin(t)); err == nil {
		warned := strings.Contains(s.out.String(), disk+" reads "+strconv.Itoa(kb)+" KiB around every page fault")
		if warned != (kb > checkconfig.MaxReadaheadKB) {
			t.Errorf("disk %s with %d KiB of readahead: warned %v; shoal's output:\n%s", disk, kb, warned, s.out.String())
		}
	}
	pods := s.mustKubectl(33, "", "get", "node", h.name, "-o", "jsonpath={.status.capacity.pods}")
	if pods != strconv.Itoa(int(want.MaxPods)) {
		t.Errorf("node capacity %s pods, want %d (what a 1 GiB box holds)", pods, want.MaxPods)
	}
	reserved, err := parseMi(want.SystemReserved["memory"])
	if err != nil {
		t.Fatal(err)
	}
	limit, err := os.ReadFile(filepath.Join(memcg, "kubepods", "memory.limit_in_bytes"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := strconv.ParseInt(strings.TrimSpace(string(limit)), 10, 64)
	if wantLimit := host.HostMemory - reserved; got > wantLimit || got < wantLimit-(1<<20) || got >= 1<<30 {
		t.Errorf("kubepods memory limit %d MiB, want %d MiB (below the box's 1024)", got>>20, wantLimit>>20)
	}
	ctrd, err := exec.Command("pgrep", "-f", "containerd --config "+dir).Output()
	if err != nil {
		t.Fatalf("containerd: %v", err)
	}
	env, _ := os.ReadFile("/proc/" + strings.Fields(string(ctrd))[0] + "/environ")
	if !strings.Contains(string(env), "GOMEMLIMIT=") || !strings.Contains(string(env), "GOGC=50\x00") {
		t.Error("containerd runs without a Go soft memory limit or GOGC=50")
	}
	// /proc/PID/stat: the 19th field is the nice value (after "(comm)").
	stat, _ := os.ReadFile("/proc/" + strings.Fields(string(ctrd))[0] + "/stat")
	if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) < 17 || f[16] != strconv.Itoa(box.ContainerdNice) {
		t.Errorf("containerd's nice value: %v, want %d", f, box.ContainerdNice)
	}
	// Every thread, not only the first: the ones its Go runtime started
	// at once too (they fork the shims and runc).
	tasks, _ := filepath.Glob("/proc/" + strings.Fields(string(ctrd))[0] + "/task/*/stat")
	for _, task := range tasks {
		stat, err := os.ReadFile(task)
		if err != nil {
			continue // the thread ended
		}
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) < 17 || f[16] != strconv.Itoa(box.ContainerdNice) {
			t.Errorf("containerd thread %s: nice %v, want %d", task, f, box.ContainerdNice)
		}
	}
	if len(tasks) < 2 {
		t.Errorf("containerd has %d threads listed; want its Go runtime's several", len(tasks))
	}
	checkSharedShims(t, s, dir)
	// Sizing to the box turns no API off: every group a user expects is served.
	served := s.mustKubectl(33, "", "api-versions")
	for _, g := range []string{"apps/v1", "batch/v1", "networking.k8s.io/v1", "policy/v1", "autoscaling/v2", "rbac.authorization.k8s.io/v1",
		"storage.k8s.io/v1", "discovery.k8s.io/v1", "coordination.k8s.io/v1", "events.k8s.io/v1", "certificates.k8s.io/v1",
		"admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1"} {
		if !strings.Contains(served, g+"\n") {
			t.Errorf("%s not served in a small box", g)
		}
	}
}

// checkSharedShims: in a small box the pods share box.SharedShims shims
// (tools/runtime/shim), exec still reaches a container through its shared
// shim, and the shims exit once their pods are gone.
func checkSharedShims(t *testing.T, s *server, dir string) {
	const pods = 6
	s.mustKubectl(33, "", "create", "deployment", "shims", "--image=localhost/shoal-echo:v1", "--replicas="+strconv.Itoa(pods))
	s.mustKubectl(33, "", "rollout", "status", "deploy/shims", "--timeout=120s")
	shims := func() []string {
		out, _ := exec.Command("pgrep", "-f", "containerd-shim-runc-v2 .*"+dir).Output()
		return strings.Fields(string(out))
	}
	if n := len(shims()); n < 1 || n > box.SharedShims {
		t.Errorf("%d pods run under %d shims, want 1 to %d", pods, n, box.SharedShims)
	}
	if out := s.mustKubectl(33, "", "exec", "deploy/shims", "--", "/shoal-echo", "-version"); !strings.Contains(out, "v1") {
		t.Errorf("kubectl exec through a shared shim: %q", out)
	}
	s.mustKubectl(33, "", "delete", "deployment", "shims", "--wait=false")
	eventually(t, 90*time.Second, "the shared shims exit with their pods", func() (bool, string) {
		left := shims()
		return len(left) == 0, strings.Join(left, " ")
	})
}

func parseMi(v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSuffix(v, "Mi"), 10, 64)
	return n << 20, err
}
