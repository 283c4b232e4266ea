// Package containerd runs containerd v2 as a supervised child process —
// upstream's own executable, carried gzipped inside shoal and unpacked
// into the node's bin dir by runtimebin (ADR 0013) — with its root,
// state, socket and config derived from the data dir so that several
// agents can share one machine in tests. It writes containerd's config
// (CRI plugin with runc, cgroupfs, restrict_oom_score_adj, the pinned
// local pause image) and restarts the child with backoff if it dies.
//
// It does not talk CRI itself: the kubelet and `shoal crictl` do.
package containerd
