package gitops

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

const owner = "fleet-local/apps"

func namespace(name string, ann map[string]string) *unstructured.Unstructured {
	o := &unstructured.Unstructured{}
	o.SetAPIVersion("v1")
	o.SetKind("Namespace")
	o.SetName(name)
	o.SetAnnotations(ann)
	return o
}

// TestPruneDecision: created by this GitRepo → delete; adopted → release;
// gone or someone else's → keep.
func TestPruneDecision(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  *unstructured.Unstructured
		want pruneAction
	}{
		{"created", namespace("web", map[string]string{AnnOwner: owner, AnnCreated: "true"}), pruneDelete},
		{"adopted", namespace("kube-system", map[string]string{AnnOwner: owner}), pruneRelease},
		{"created by another GitRepo", namespace("web", map[string]string{AnnOwner: "fleet-local/other", AnnCreated: "true"}), pruneKeep},
		{"created annotation, no owner", namespace("web", map[string]string{AnnCreated: "true"}), pruneKeep},
		{"unmarked", namespace("web", nil), pruneKeep},
		{"gone", nil, pruneKeep},
	} {
		if got := pruneDecision(tc.obj, owner); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestCreatedBy: only an object absent before the apply, or one this
// GitRepo created earlier, counts as created.
func TestCreatedBy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before *unstructured.Unstructured
		want   bool
	}{
		{"absent", nil, true},
		{"created earlier by this GitRepo", namespace("web", map[string]string{AnnOwner: owner, AnnCreated: "true"}), true},
		{"made by hand", namespace("kube-system", nil), false},
		{"adopted earlier", namespace("kube-system", map[string]string{AnnOwner: owner}), false},
		{"created by another GitRepo", namespace("web", map[string]string{AnnOwner: "fleet-local/other", AnnCreated: "true"}), false},
	} {
		if got := createdBy(tc.before, owner); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestAdoptedNamespaceIsReleasedNotDeleted is the attack: a repository
// lists a Namespace that already exists (kube-system), claiming with a
// forged annotation that GitOps created it, then drops it. Before, prune
// deleted every object carrying the owner annotation; now the forged
// claim is overwritten, prune releases the Namespace, and the release
// patch removes only the ownership annotations.
func TestAdoptedNamespaceIsReleasedNotDeleted(t *testing.T) {
	ctx := context.Background()
	before := namespace("kube-system", map[string]string{"team": "platform"})
	before.SetLabels(map[string]string{"kubernetes.io/metadata.name": "kube-system"})
	dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(), before.DeepCopy())
	c := &Controller{mapper: testMapper()}

	fromRepo := namespace("kube-system", map[string]string{AnnCreated: "true"})
	fromRepo.SetNamespace("default") // a stray namespace must not hide the existing object
	cur, err := c.existing(ctx, dyn, fromRepo)
	if err != nil || cur == nil {
		t.Fatalf("existing kube-system not found: %v %v", cur, err)
	}
	mark(fromRepo, owner, createdBy(cur, owner))
	if got := fromRepo.GetAnnotations(); got[AnnOwner] != owner || got[AnnCreated] != "" {
		t.Fatalf("marked as %v: the forged created annotation survived", got)
	}

	// The apply merges the marked annotations into the object.
	applied := cur.DeepCopy()
	ann := applied.GetAnnotations()
	ann[AnnOwner] = owner
	applied.SetAnnotations(ann)
	if got := pruneDecision(applied, owner); got != pruneRelease {
		t.Fatalf("prune of an adopted Namespace: %v, want release", got)
	}
	if err := c.release(ctx, dyn, applied); err != nil {
		t.Fatal(err)
	}
	after, err := c.existing(ctx, dyn, applied)
	if err != nil || after == nil {
		t.Fatalf("released Namespace is gone: %v", err)
	}
	if got, want := after.GetAnnotations(), map[string]string{"team": "platform"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("annotations after release: %v, want %v", got, want)
	}
	if got := after.GetLabels()["kubernetes.io/metadata.name"]; got != "kube-system" {
		t.Fatalf("release touched the labels: %v", after.GetLabels())
	}
}

// TestExistingOfANewObjectOrKind: an absent object, or one of a kind the
// cluster does not serve yet, does not exist, so GitOps creates it.
func TestExistingOfANewObjectOrKind(t *testing.T) {
	ctx := context.Background()
	dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
	c := &Controller{mapper: testMapper()}
	widget := &unstructured.Unstructured{}
	widget.SetAPIVersion("example.io/v1")
	widget.SetKind("Widget")
	widget.SetName("w")
	for _, o := range []*unstructured.Unstructured{namespace("web", nil), widget} {
		cur, err := c.existing(ctx, dyn, o)
		if err != nil || cur != nil || !createdBy(cur, owner) {
			t.Fatalf("%s: %v %v, want absent", o.GetKind(), cur, err)
		}
	}
}

func TestReleasePatchOnlyDropsOwnership(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(releasePatch(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"metadata": map[string]any{"annotations": map[string]any{AnnOwner: nil, AnnCreated: nil}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("release patch %v, want %v", got, want)
	}
}

// testMapper knows Namespaces (cluster-scoped) and ConfigMaps.
func testMapper() meta.ResettableRESTMapper {
	m := meta.NewDefaultRESTMapper([]schema.GroupVersion{{Version: "v1"}})
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, meta.RESTScopeRoot)
	m.Add(schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, meta.RESTScopeNamespace)
	return resettable{m}
}

type resettable struct{ meta.RESTMapper }

func (resettable) Reset() {}
