// Package upstreamargs builds an upstream component's command line: the
// flags shoal chooses as a map, the user's --kube-*-arg values merged
// last. A leaf package, so that the node's components (kubelet,
// kube-proxy) need not link the control plane's to share it.
package upstreamargs
