// Package box knows the machine shoal runs in: the memory and CPUs it may
// use — the host's, or less when its cgroup (v1 or v2, every ancestor
// counted) limits them — and what shoal derives from them: the Go
// runtime's soft memory limit for its own process and containerd's, and
// the kubelet's reservations and eviction threshold, so that on a small
// device the pods, not the control plane, are what is refused or evicted.
package box
