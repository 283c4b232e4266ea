// Package localpath is the local-path volume provisioner: a PVC of the
// local-path StorageClass (WaitForFirstConsumer) gets, once the scheduler
// has picked a node, a hostPath PV under <data-dir>/storage pinned to that
// node; kubelet creates the directory when the pod mounts it. When a
// released volume's policy is Delete, its directory is removed (on the
// local node) and the PV deleted. sig-storage-lib-external-provisioner is
// not available here, and the protocol is this small.
package localpath
