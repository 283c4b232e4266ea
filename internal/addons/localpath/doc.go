// Package localpath is the local-path volume provisioner: a PVC of the
// local-path StorageClass (WaitForFirstConsumer) gets, once the scheduler
// has picked a node, a hostPath PV under <data-dir>/storage pinned to that
// node; kubelet creates the directory when the pod mounts it. When a
// released volume's policy is Delete, its directory is removed (on the
// local node) and the PV deleted, but only a directory named as the
// provisioner names it, strictly inside the storage directory once symlinks
// are resolved: any other hostPath is refused with an Event and left
// alone. sig-storage-lib-external-provisioner is not available here, and
// the protocol is this small.
package localpath
