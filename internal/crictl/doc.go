// Package crictl is `shoal crictl`: the everyday crictl verbs (pods, ps,
// images, logs, stop, rm, rmp) on k8s.io/cri-client, since the cri-tools
// module itself is not available to build from. Output columns follow
// crictl's so that habits carry over.
package crictl
