package node

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// CgroupMode is how the host mounts cgroups.
type CgroupMode string

// The modes kubelet and runc care about.
const (
	CgroupV1 CgroupMode = "v1" // legacy or hybrid: v1 controllers
	CgroupV2 CgroupMode = "v2" // unified hierarchy at /sys/fs/cgroup
)

// DetectCgroupMode tells whether /sys/fs/cgroup is the unified (v2)
// hierarchy. A hybrid host (v1 controllers, cgroup2 only at
// /sys/fs/cgroup/unified, like this project's VM) counts as v1.
func DetectCgroupMode() CgroupMode {
	return cgroupModeAt("/sys/fs/cgroup")
}

func cgroupModeAt(path string) CgroupMode {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		return CgroupV2
	}
	if _, err := os.Stat(path + "/cgroup.controllers"); err == nil {
		return CgroupV2
	}
	return CgroupV1
}

// EnsureCgroupRoot creates kubelet's --cgroup-root (other than "/") in
// every hierarchy, as kubelet requires it to exist. Giving each node on a
// shared machine its own root keeps their pods apart.
func EnsureCgroupRoot(mode CgroupMode, root string) error {
	root = strings.Trim(root, "/")
	if root == "" {
		return nil
	}
	if mode == CgroupV2 {
		parent := "/sys/fs/cgroup"
		for _, part := range strings.Split(root, "/") {
			// Best effort: a controller the parent lacks stays off.
			for _, c := range []string{"cpu", "cpuset", "memory", "pids", "io", "hugetlb"} {
				_ = os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte("+"+c), 0)
			}
			parent = filepath.Join(parent, part)
			if err := os.MkdirAll(parent, 0o755); err != nil {
				return fmt.Errorf("cgroup-root %s: %w", root, err)
			}
		}
		return nil
	}
	hierarchies, err := os.ReadDir("/sys/fs/cgroup")
	if err != nil {
		return fmt.Errorf("cgroup-root %s: %w", root, err)
	}
	for _, h := range hierarchies {
		if !h.IsDir() || h.Name() == "unified" {
			continue
		}
		base := filepath.Join("/sys/fs/cgroup", h.Name())
		dir := base
		for _, part := range strings.Split(root, "/") {
			parent := dir
			dir = filepath.Join(dir, part)
			if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
				return fmt.Errorf("cgroup-root %s in %s: %w", root, base, err)
			}
			inheritCpuset(parent, dir)
		}
	}
	return nil
}

// inheritCpuset copies a v1 cpuset's CPUs and memory nodes to a new child,
// which otherwise starts with none and can run nothing.
func inheritCpuset(parent, child string) {
	for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
		if cur, err := os.ReadFile(filepath.Join(child, f)); err != nil || strings.TrimSpace(string(cur)) != "" {
			continue
		}
		if b, err := os.ReadFile(filepath.Join(parent, f)); err == nil {
			_ = os.WriteFile(filepath.Join(child, f), b, 0)
		}
	}
}
