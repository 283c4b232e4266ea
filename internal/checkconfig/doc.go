// Package checkconfig probes the kernel and host for what shoal's node
// needs (`shoal check-config`), so a missing feature is named before a
// component fails late: overlayfs, bridge netfilter, veth, bridge, vxlan,
// WireGuard, IPVS, conntrack, iptables, the cgroup layout, and the disk
// readahead a small device needs (readahead.go). It changes
// nothing on the host (probe links are created and deleted at once).
package checkconfig
