package box

import (
	"fmt"
	"math"
)

// Small is the largest box shoal trims itself for: above it, upstream's
// defaults are left as they are.
const Small = 4 << 30

// Role is what runs in this process, for the budgets below.
type Role int

// Roles: a server with its node, a server with no node, a joined agent.
const (
	ServerWithNode Role = iota
	ServerOnly
	Agent
)

// Budget is what shoal's own processes need in a small box, measured
// (docs/adr/0012-memory-ledger.md): the shoal process (its Go soft memory
// limit), containerd's (its soft limit), and what the pods may not use:
// both, and the binary's working set.
type Budget struct {
	Shoal, Containerd, Reserved int64
	// ShimGroups is how many containerd shims the node's pods share
	// (0: one per pod, upstream's default).
	ShimGroups int
	// ContainerdNice is added to shoal's nice value for containerd: the
	// shims, runc and CNI plugins it starts inherit it and yield the CPU to
	// the control plane (the pods' processes too, which changes nothing
	// among them: their CPU share is their cgroup's).
	ContainerdNice int
}

// BudgetFor is role's budget in box b; zero when b is not small.
func (b Box) BudgetFor(r Role) Budget {
	if b.Memory > Small {
		return Budget{}
	}
	const mi = 1 << 20
	switch r {
	case ServerOnly:
		return Budget{Shoal: b.share(0.6, 160*mi)}
	case Agent:
		// An agent runs less of the binary, and less kernel state.
		return nodeBudget(b.share(0.15, 48*mi), WorkingSet/2+Kernel/2)
	default:
		return nodeBudget(b.share(0.4, 160*mi), WorkingSet+Kernel)
	}
}

// nodeBudget is the budget of a process running a node: shoal's soft
// limit, containerd's, and what the pods may not take — both, the given
// page cache and kernel memory, and the shared shims.
func nodeBudget(shoal, pagesAndKernel int64) Budget {
	const containerd = 40 << 20
	return Budget{
		Shoal: shoal, Containerd: containerd,
		Reserved:   shoal + containerd + pagesAndKernel + SharedShims*ShimCost,
		ShimGroups: SharedShims, ContainerdNice: ContainerdNice,
	}
}

// share is f of the box, at least floor.
func (b Box) share(f float64, floor int64) int64 {
	return max(floor, int64(math.Round(f*float64(b.Memory))))
}

// KubeletSettings are the kubelet configuration fields shoal derives from
// the box (each overridable by --kubelet-arg): what the pods may not take
// (system-reserved: the host memory and CPUs outside the box and shoal's
// own memory budget), the hard eviction threshold, and the most pods the
// memory left can hold. Empty when the box is not small.
type KubeletSettings struct {
	SystemReserved map[string]string
	EvictionHard   map[string]string
	MaxPods        int32
}

// Measured with bench/box.sh 512M 1 (docs/adr/0012-memory-ledger.md).
const (
	// WorkingSet is the page cache the shoal binary needs resident
	// (shoal and containerd both run from it): with less, the box
	// thrashes — major faults, apiserver timeouts — long before any OOM.
	// Measured from a cold page cache (bench/box.sh drops it) with the
	// disk readahead of a device (128 KiB): 74–82 MB of bin/shoal resident
	// (fincore) with every addon and a dozen pods. A disk with 8 MiB of
	// readahead (this VM's) makes it 118 MB and thrashes; the first pass
	// measured 67 MB with a warm cache, whose pages came for free.
	WorkingSet = 80 << 20
	// Kernel is the kernel memory cgroup v1 charges to the box (slab,
	// page tables, socket buffers): 35 MB measured with every addon.
	Kernel = 32 << 20
	// PerPod is one pod's cost in the pods' cgroup, on average: an echo
	// pod (pause and a small server) measured 1.5–2.4 MB, the addons'
	// pods 17 (CoreDNS), 28 (Traefik) and 31 MB (metrics-server) with
	// their binaries' pages; 25 small pods and the three addons average
	// 4.1 MB.
	PerPod = 4 << 20
	// ShimCost is one containerd shim (≈ 3.5 MB anonymous, the Go
	// runtime's floor), outside the pods' cgroup.
	ShimCost = 4 << 20
	// SharedShims is how many shims a small box's pods share
	// (tools/runtime/shim): one per pod cost 100 MB with 30 pods.
	SharedShims = 4
	// ContainerdNice: containerd, the shims, runc and the CNI plugins run
	// in the box's cgroup beside shoal; while 20 pods start at once on one
	// CPU, each of their threads weighed as much as an apiserver thread.
	// bench/box.sh 512M 1, two runs each, API p99 during 5 -> 25 pods:
	// nice 5: 1.35 and 1.17 s (p50 80 ms); nice 19: 0.49 and 0.67 s
	// (p50 55 ms), the pods available in 16–19 s instead of 14–18.
	ContainerdNice = 19
)

// Kubelet derives the kubelet settings for role in box b: as many pods
// as the memory left after shoal's budget (the working set and the shared
// shims included) holds at PerPod, and the pods' cgroup limited to that.
func (b Box) Kubelet(r Role) KubeletSettings {
	budget := b.BudgetFor(r)
	if budget.Reserved == 0 {
		return KubeletSettings{}
	}
	left := b.Memory - budget.Reserved
	maxPods := max(4, left/PerPod)
	// The kubepods cgroup's limit is capacity (MemTotal) less
	// system-reserved: exactly what is left.
	reserved := map[string]string{"memory": fmt.Sprintf("%dMi", (b.HostMemory-left)>>20)}
	// kubelet counts the host's CPUs: the CPUs outside the box's quota
	// are not the pods' either (and kubepods' CPU weight follows).
	if outside := float64(b.HostCPUs) - b.CPUs; b.HostCPUs > 0 && outside > 0 {
		reserved["cpu"] = fmt.Sprintf("%dm", int64(outside*1000))
	}
	return KubeletSettings{
		SystemReserved: reserved,
		EvictionHard:   map[string]string{"memory.available": fmt.Sprintf("%dMi", max(16, b.Memory/32>>20))},
		MaxPods:        int32(maxPods),
	}
}
