package gitops

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shoal-dev/shoal/internal/addons/deploy"
)

// readiness reports each applied object, read through a (the GitRepo's
// identity): workloads are ready when their rollout is complete, other
// kinds once they exist.
func readiness(ctx context.Context, a *deploy.Applier, refs []deploy.Ref) []ResourceStatus {
	out := make([]ResourceStatus, 0, len(refs))
	for _, r := range refs {
		rs := ResourceStatus{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
		o, err := a.Get(ctx, r)
		switch {
		case err != nil:
			rs.Message = err.Error()
		case o == nil:
			rs.Message = "not found"
		default:
			rs.Ready, rs.Message = workloadReady(o)
		}
		out = append(out, rs)
	}
	return out
}

func workloadReady(o *unstructured.Unstructured) (bool, string) {
	num := func(fields ...string) int64 {
		v, _, _ := unstructured.NestedInt64(o.Object, fields...)
		return v
	}
	var want, have int64
	switch o.GetKind() {
	case "Deployment", "StatefulSet":
		want, have = 1, num("status", "readyReplicas")
		if r, ok, _ := unstructured.NestedInt64(o.Object, "spec", "replicas"); ok {
			want = r
		}
	case "DaemonSet":
		want, have = num("status", "desiredNumberScheduled"), num("status", "numberReady")
	default:
		return true, ""
	}
	if num("status", "observedGeneration") < o.GetGeneration() || have < want {
		return false, fmt.Sprintf("%d/%d ready", have, want)
	}
	return true, ""
}
