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
// limit), containerd's (its soft limit), and the memory kubelet keeps
// from pods for both and the pods' containerd shims.
type Budget struct {
	Shoal, Containerd, Reserved int64
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
		return Budget{Shoal: b.share(0.15, 48*mi), Containerd: 40 * mi, Reserved: 160 * mi}
	default:
		return Budget{Shoal: b.share(0.4, 160*mi), Containerd: 40 * mi, Reserved: 320 * mi}
	}
}

// share is f of the box, at least floor.
func (b Box) share(f float64, floor int64) int64 {
	return max(floor, int64(math.Round(f*float64(b.Memory))))
}

// KubeletSettings are the kubelet configuration fields shoal derives from
// the box (each overridable by --kubelet-arg): what the pods may not take
// (system-reserved: the host memory outside the box and shoal's own
// budget), the hard eviction threshold, and the most pods the memory left
// can hold. Empty when the box is not small.
type KubeletSettings struct {
	SystemReserved map[string]string
	EvictionHard   map[string]string
	MaxPods        int32
}

// PerPod is what one more pod costs the box beyond its containers' own
// memory (pause, shim, kubelet and containerd bookkeeping), measured.
const PerPod = 6 << 20

// Kubelet derives the kubelet settings for role in box b.
func (b Box) Kubelet(r Role) KubeletSettings {
	budget := b.BudgetFor(r)
	if budget.Reserved == 0 {
		return KubeletSettings{}
	}
	outside := b.HostMemory - b.Memory // memory the box cannot use at all
	forPods := b.Memory - budget.Reserved
	return KubeletSettings{
		SystemReserved: map[string]string{"memory": fmt.Sprintf("%dMi", (outside+budget.Reserved)>>20)},
		EvictionHard:   map[string]string{"memory.available": fmt.Sprintf("%dMi", max(16, b.Memory/20>>20))},
		MaxPods:        int32(max(8, forPods/PerPod)),
	}
}
