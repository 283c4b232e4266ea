package gitops

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/shoal-dev/shoal/internal/addons/deploy"
)

// Resource is the GitRepo API (namespaced).
var Resource = schema.GroupVersionResource{Group: "fleet.shoal.io", Version: "v1", Resource: "gitrepos"}

// GitRepo is fleet.shoal.io/v1 GitRepo (the CRD's schema validates it).
type GitRepo struct {
	Namespace, Name string `json:"-"`
	Spec            Spec   `json:"spec"`
	Status          Status `json:"status"`
}

// key is "namespace/name", the value of AnnOwner.
func (g *GitRepo) key() string { return g.Namespace + "/" + g.Name }

// Spec uses Fleet's field names.
type Spec struct {
	Repo               string   `json:"repo"`
	Branch             string   `json:"branch,omitempty"`
	Revision           string   `json:"revision,omitempty"` // tag or commit; wins over branch
	Paths              []string `json:"paths,omitempty"`
	PollingInterval    string   `json:"pollingInterval,omitempty"`    // Go duration, default 15s
	ClientSecretName   string   `json:"clientSecretName,omitempty"`   // username/password, or ssh-privatekey and known_hosts
	ServiceAccountName string   `json:"serviceAccountName,omitempty"` // impersonated to apply and prune (GitRepo's namespace); empty: admin
	Targets            []Target `json:"targets,omitempty"`
}

// Target selects clusters by their labels; the first match wins. No
// targets: every cluster.
type Target struct {
	Name            string                `json:"name,omitempty"`
	ClusterSelector *metav1.LabelSelector `json:"clusterSelector,omitempty"`
	// Overlays for the matched clusters (Fleet's targetCustomizations):
	// values over a chart's values.yaml, and a kustomize overlay
	// directory (relative to the path) built instead of the path itself.
	Helm      *HelmOptions      `json:"helm,omitempty"`
	Kustomize *KustomizeOptions `json:"kustomize,omitempty"`
}

// HelmOptions overlay a chart.
type HelmOptions struct {
	ReleaseName string         `json:"releaseName,omitempty"`
	Values      map[string]any `json:"values,omitempty"`
}

// KustomizeOptions pick an overlay.
type KustomizeOptions struct {
	Dir string `json:"dir,omitempty"`
}

// Status is what this cluster applied.
type Status struct {
	Phase     string           `json:"phase,omitempty"`  // Ready, NotTargeted, Error
	Commit    string           `json:"commit,omitempty"` // the commit applied
	Target    string           `json:"target,omitempty"` // the target that matched
	Error     string           `json:"error,omitempty"`  // names the file (and line) at fault
	Failed    string           `json:"failedCommit,omitempty"`
	Resources []ResourceStatus `json:"resources,omitempty"`
	Applied   []deploy.Ref     `json:"applied,omitempty"` // the inventory pruning works from
}

// ResourceStatus is one applied object and whether it is ready.
type ResourceStatus struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Ready     bool   `json:"ready"`
	Message   string `json:"message,omitempty"`
}
