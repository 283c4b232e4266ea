// Package killall gives the machine back after shoal stopped with pods
// running (as it leaves them, like K3s): it ends shoal, containerd, the
// shims and every pod's processes, unmounts everything under the data
// dir, deletes the links (cni0, flannel.1) and the packet-filter chains
// shoal, kube-proxy, flannel and the CNI plugins made. Nothing else is
// touched; a following `shoal server` or `shoal agent` starts cleanly.
package killall
