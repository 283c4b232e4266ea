package upgrade

import (
	"fmt"
	"time"
)

// Plan is upgrade.shoal.io/v1 Plan (the CRD's schema validates it).
type Plan struct {
	Name   string     `json:"-"`
	Spec   PlanSpec   `json:"spec"`
	Status PlanStatus `json:"status"` // the last one written: holds the orders given
}

// PlanSpec is what to run where.
type PlanSpec struct {
	Version string `json:"version"`
	Binary  struct {
		File   string `json:"file"`
		SHA256 string `json:"sha256"`
		// Path is shoal's path inside the image when File is an image
		// archive (as air-gapped images are); empty: File is the binary.
		Path string `json:"path,omitempty"`
	} `json:"binary"`
	NodeSelector struct {
		MatchLabels map[string]string `json:"matchLabels,omitempty"`
	} `json:"nodeSelector"`
	Concurrency     int    `json:"concurrency"`
	Cordon          *bool  `json:"cordon,omitempty"`
	Drain           bool   `json:"drain"`
	DeadlineSeconds int    `json:"deadlineSeconds"`
	Window          Window `json:"window"`
}

func (p *Plan) cordon() bool { return p.Spec.Cordon == nil || *p.Spec.Cordon }

// Window is a daily maintenance window, UTC, "HH:MM"; empty: always.
type Window struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// open reports whether t falls in the window (which may wrap midnight).
func (w Window) open(t time.Time) bool {
	if w.Start == "" || w.End == "" {
		return true
	}
	var sh, sm, eh, em int
	if _, err := fmt.Sscanf(w.Start, "%d:%d", &sh, &sm); err != nil {
		return false
	}
	if _, err := fmt.Sscanf(w.End, "%d:%d", &eh, &em); err != nil {
		return false
	}
	now, start, end := t.UTC().Hour()*60+t.UTC().Minute(), sh*60+sm, eh*60+em
	if start <= end {
		return now >= start && now < end
	}
	return now >= start || now < end
}

// PlanStatus is the Plan's status subresource.
type PlanStatus struct {
	Phase    string                `json:"phase"`
	Total    int                   `json:"total"`
	Complete int                   `json:"complete"`
	Reason   string                `json:"reason,omitempty"`
	Nodes    map[string]NodeStatus `json:"nodes,omitempty"`
}

// NodeStatus is one node's progress: Pending → Cordoned → Upgrading →
// Verifying → Complete | RolledBack, and the order it was given while it
// upgrades (only the controller writes a Plan's status).
type NodeStatus struct {
	Phase   string `json:"phase"`
	Version string `json:"version,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Order   *Order `json:"order,omitempty"`
}

// Order is what the controller asks of one node: run Version, from File
// (with SHA256; Path inside it when File is an image), come back Ready
// within DeadlineSeconds. Cordoned: the controller cordoned the node and
// uncordons it when it is done. A rolled-back node keeps its order
// (Finished), so that it does not try that version again.
type Order struct {
	Version         string `json:"version"`
	File            string `json:"file"`
	SHA256          string `json:"sha256"`
	Path            string `json:"path,omitempty"`
	DeadlineSeconds int    `json:"deadlineSeconds"`
	Cordoned        bool   `json:"cordoned,omitempty"`
	Finished        bool   `json:"finished,omitempty"` // rolled back, uncordoned and reported
}
