package osimage

import "k8s.io/apimachinery/pkg/runtime/schema"

// Resource is the OSImage API (cluster-scoped).
var Resource = schema.GroupVersionResource{Group: "upgrade.shoal.io", Version: "v1", Resource: "osimages"}

// OSImage is upgrade.shoal.io/v1 OSImage (the CRD's schema validates it).
type OSImage struct {
	Name   string `json:"-"`
	Spec   Spec   `json:"spec"`
	Status Status `json:"status"` // the last one written: holds the orders given
}

// Spec is which image goes to which nodes, how fast.
type Spec struct {
	Image struct {
		File   string `json:"file"`   // image archive in the server's upgrades directory
		SHA256 string `json:"sha256"` // of that file
	} `json:"image"`
	NodeSelector struct {
		MatchLabels map[string]string `json:"matchLabels,omitempty"`
	} `json:"nodeSelector"`
	Concurrency     int `json:"concurrency"`
	BootTries       int `json:"bootTries"`       // boots the new slot may take to come up
	DeadlineSeconds int `json:"deadlineSeconds"` // for its checks once booted
}

// Status is the OSImage's status subresource.
type Status struct {
	Phase    string                `json:"phase"` // Rolling, Complete or Failed
	Total    int                   `json:"total"`
	Complete int                   `json:"complete"`
	Reason   string                `json:"reason,omitempty"`
	Nodes    map[string]NodeStatus `json:"nodes,omitempty"`
}

// NodeStatus is one node's OS: its active slot, the booted image's
// digest, the last result (Pending, Installing, Rebooting, Verifying,
// Complete or RolledBack) and, while it is in flight or rolled back, the
// order it was given (only the controller writes an OSImage's status).
type NodeStatus struct {
	Slot   string `json:"slot,omitempty"`
	Digest string `json:"digest,omitempty"`
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
	Order  *Order `json:"order,omitempty"`
}

// Order is what the controller asks of one node: install the archive
// File (with SHA256) as image Name into the passive slot, boot it with
// BootTries, and pass the checks within DeadlineSeconds.
type Order struct {
	SHA256          string `json:"sha256"`
	Name            string `json:"name"`
	File            string `json:"file"`
	BootTries       int    `json:"bootTries"`
	DeadlineSeconds int    `json:"deadlineSeconds"`
}
