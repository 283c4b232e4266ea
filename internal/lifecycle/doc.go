// Package lifecycle defines the one interface every long-running part of
// shoal implements (datastore, apiserver, controllers, later kubelet,
// containerd, tunnel and addons) and the Runner that starts a list of them
// in order and stops them in reverse.
//
// It owns ordering, readiness waiting and failure propagation; it must not
// know anything about Kubernetes.
package lifecycle
