// Package containerd runs the containerd v2 embedded in shoal's binary as a
// supervised child process (`shoal containerd`, hidden), with its root,
// state, socket and config derived from the data dir so that several
// agents can share one machine in tests. It writes containerd's config
// (CRI plugin with runc, cgroupfs, restrict_oom_score_adj, the pinned
// local pause image) and restarts the child with backoff if it dies.
//
// It does not talk CRI itself: the kubelet and `shoal crictl` do.
package containerd
