package box

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// fakeRoot lays out /proc and /sys of a process in a cgroup v1 box.
func fakeRoot(t *testing.T, files map[string]string) FS {
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return FS(root)
}

func TestDetectTakesTheLowestLimitOfTheCgroupAndItsAncestors(t *testing.T) {
	root := fakeRoot(t, map[string]string{
		"proc/meminfo":     "MemTotal:       24683656 kB\nMemFree: 1 kB\n",
		"proc/self/cgroup": "4:memory:/outer/box\n1:cpu,cpuacct:/outer/box\n0::/\n",
		"sys/fs/cgroup/memory/memory.limit_in_bytes":           "9223372036854771712\n",
		"sys/fs/cgroup/memory/outer/memory.limit_in_bytes":     "1073741824\n",
		"sys/fs/cgroup/memory/outer/box/memory.limit_in_bytes": "9223372036854771712\n",
		"sys/fs/cgroup/cpu/outer/box/cpu.cfs_quota_us":         "100000\n",
		"sys/fs/cgroup/cpu/outer/box/cpu.cfs_period_us":        "100000\n",
	})
	b, err := Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	if b.Memory != 1<<30 || b.HostMemory != 24683656<<10 || b.CPUs != 1 {
		t.Fatalf("box %+v", b)
	}
}

func TestDetectCgroupV2(t *testing.T) {
	root := fakeRoot(t, map[string]string{
		"proc/meminfo":                    "MemTotal: 2097152 kB\n",
		"proc/self/cgroup":                "0::/box\n",
		"sys/fs/cgroup/box/memory.max":    "536870912\n",
		"sys/fs/cgroup/box/cpu.max":       "50000 100000\n",
		"sys/fs/cgroup/memory.max":        "max\n",
		"sys/fs/cgroup/box/cpu.max.extra": "",
	})
	b, err := Detect(root)
	if err != nil {
		t.Fatal(err)
	}
	if b.Memory != 512<<20 || b.CPUs != 0.5 {
		t.Fatalf("box %+v", b)
	}
}

// In a small box pods may not take what shoal needs (nor the host memory
// outside the box); a large box keeps upstream's defaults.
func TestKubeletSettingsReserveShoalsBudget(t *testing.T) {
	small := Box{Memory: 512 << 20, HostMemory: 24 << 30, CPUs: 1, HostCPUs: 2}
	k := small.Kubelet(ServerWithNode)
	if k.SystemReserved["cpu"] != "1000m" {
		t.Errorf("system-reserved cpu %q, want the host's second CPU (1000m)", k.SystemReserved["cpu"])
	}
	budget := small.BudgetFor(ServerWithNode)
	pods := small.Memory - budget.Reserved
	if want := strconv.FormatInt((small.HostMemory-pods)>>20, 10) + "Mi"; k.SystemReserved["memory"] != want {
		t.Errorf("system-reserved %s, want %s (the pods' cgroup gets %d MiB)", k.SystemReserved["memory"], want, pods>>20)
	}
	// Issue 17's box: the three addons and 25 small pods are admitted.
	if k.MaxPods < 28 || k.MaxPods > 40 || k.EvictionHard["memory.available"] != "16Mi" {
		t.Errorf("512 MiB box: %+v", k)
	}
	if k := (Box{Memory: 16 << 30, HostMemory: 16 << 30}).Kubelet(ServerWithNode); k.SystemReserved != nil || k.MaxPods != 0 {
		t.Fatalf("16 GiB box: %+v", k)
	}
	if b := (Box{Memory: 512 << 20}).BudgetFor(ServerWithNode); b.Shoal <= 0 || b.Shoal >= 512<<20 {
		t.Fatalf("budget %+v", b)
	}
}
