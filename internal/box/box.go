package box

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Box is the memory and CPUs shoal may use.
type Box struct {
	Memory     int64   // bytes: the host's, or its cgroup limit if lower
	HostMemory int64   // bytes: MemTotal
	CPUs       float64 // the host's, or its cgroup CPU quota if lower
	HostCPUs   int     // the host's CPUs
	Source     string  // what limited Memory, for the log
}

// FS is where Detect reads /proc and /sys (the real root: "/").
type FS string

// Detect reads the box of the calling process.
func Detect(root FS) (Box, error) {
	host, err := memTotal(root)
	if err != nil {
		return Box{}, err
	}
	b := Box{Memory: host, HostMemory: host, CPUs: float64(runtime.NumCPU()), HostCPUs: runtime.NumCPU(), Source: "MemTotal"}
	groups, err := ownCgroups(root)
	if err != nil {
		return b, nil // no cgroup information: the host
	}
	for _, l := range memoryLimits(root, groups) {
		if l.bytes > 0 && l.bytes < b.Memory {
			b.Memory, b.Source = l.bytes, l.file
		}
	}
	if q := cpuQuota(root, groups); q > 0 && q < b.CPUs {
		b.CPUs = q
	}
	return b, nil
}

func (b Box) String() string {
	return fmt.Sprintf("%d MiB (%s), %.2g CPU", b.Memory>>20, b.Source, b.CPUs)
}

func memTotal(root FS) (int64, error) {
	f, err := os.Open(filepath.Join(string(root), "proc/meminfo"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("/proc/meminfo: no MemTotal")
}

// ownCgroups maps each v1 controller (and "" for cgroup v2) to the
// calling process's cgroup path.
func ownCgroups(root FS) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(string(root), "proc/self/cgroup"))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		parts := strings.SplitN(string(line), ":", 3)
		if len(parts) != 3 {
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out, nil
}

type limit struct {
	file  string
	bytes int64
}

// memoryLimits lists the memory limits of the process's cgroup and its
// ancestors (the lowest applies): v1 memory.limit_in_bytes, or v2
// memory.max where the memory controller is on cgroup v2.
func memoryLimits(root FS, groups map[string]string) []limit {
	var out []limit
	if p, ok := groups["memory"]; ok {
		for _, dir := range ancestors(filepath.Join(string(root), "sys/fs/cgroup/memory"), p) {
			out = append(out, readLimit(filepath.Join(dir, "memory.limit_in_bytes")))
		}
	} else if p, ok := groups[""]; ok {
		for _, dir := range ancestors(filepath.Join(string(root), "sys/fs/cgroup"), p) {
			out = append(out, readLimit(filepath.Join(dir, "memory.max")))
		}
	}
	return out
}

// cpuQuota is the lowest CPU quota (in CPUs) over the process's cgroup
// and its ancestors; 0 when none.
func cpuQuota(root FS, groups map[string]string) float64 {
	best := 0.0
	take := func(q float64) {
		if q > 0 && (best == 0 || q < best) {
			best = q
		}
	}
	if p, ok := groups["cpu"]; ok {
		for _, dir := range ancestors(filepath.Join(string(root), "sys/fs/cgroup/cpu"), p) {
			quota, period := readInt(filepath.Join(dir, "cpu.cfs_quota_us")), readInt(filepath.Join(dir, "cpu.cfs_period_us"))
			if quota > 0 && period > 0 {
				take(float64(quota) / float64(period))
			}
		}
	} else if p, ok := groups[""]; ok {
		for _, dir := range ancestors(filepath.Join(string(root), "sys/fs/cgroup"), p) {
			b, _ := os.ReadFile(filepath.Join(dir, "cpu.max"))
			var quota, period int64
			if n, _ := fmt.Sscanf(string(b), "%d %d", &quota, &period); n == 2 && period > 0 {
				take(float64(quota) / float64(period))
			}
		}
	}
	return best
}

// ancestors lists mount/path and each parent up to mount.
func ancestors(mount, path string) []string {
	var out []string
	for p := filepath.Clean("/" + path); ; p = filepath.Dir(p) {
		out = append(out, filepath.Join(mount, p))
		if p == "/" {
			return out
		}
	}
}

func readLimit(path string) limit {
	return limit{file: strings.TrimPrefix(path, "/"), bytes: readInt(path)}
}

// readInt reads a number ("max" and missing files read as 0).
func readInt(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0
	}
	return v
}
