// Package node is the agent stack that turns a host into a Kubernetes
// node: the runtime executables, containerd (a supervised child), the
// air-gap image import, kubelet and kube-proxy in-process, and the pod
// network. New builds the ordered component list; `shoal server` runs it
// after the control plane and `shoal agent` runs it alone.
package node
