package node

import (
	"os"

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
