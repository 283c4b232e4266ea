// Package lifecycle defines the one interface every long-running part of
// shoal implements (datastore, apiserver, controllers, kubelet, containerd,
// tunnel and addons), the Runner that starts a list of them in order and
// stops them in reverse, and Background, which starts a sub-list while the
// rest of the list goes on and holds it back at its Await.
//
// It owns ordering, readiness waiting and failure propagation; it must not
// know anything about Kubernetes.
package lifecycle
