package gitops

import (
	"context"
	"encoding/json"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// What GitOps writes on every object it applies. AnnOwner names the
// GitRepo ("namespace/name"): pruning touches nothing without it.
// AnnCreated is set only when the object did not exist before GitOps
// applied it: pruning deletes only those, and releases the rest.
const (
	AnnOwner   = "fleet.shoal.io/gitrepo"
	AnnCreated = "fleet.shoal.io/created"
)

// mark writes the ownership annotations on o, an object about to be
// applied for owner. created comes from the cluster, never from the
// repository: an AnnCreated the repository wrote is dropped, or it could
// have GitOps delete, say, a Namespace it only adopted.
func mark(o *unstructured.Unstructured, owner string, created bool) {
	ann := o.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	ann[AnnOwner] = owner
	delete(ann, AnnCreated)
	if created {
		ann[AnnCreated] = "true"
	}
	o.SetAnnotations(ann)
}

// createdBy reports whether owner creates (or created) the object whose
// state before the apply is before (nil: it does not exist yet).
func createdBy(before *unstructured.Unstructured, owner string) bool {
	if before == nil {
		return true
	}
	ann := before.GetAnnotations()
	return ann[AnnOwner] == owner && ann[AnnCreated] == "true"
}

// pruneAction is what happens to an object its GitRepo no longer has.
type pruneAction int

const (
	pruneKeep    pruneAction = iota // gone already, or someone else's now
	pruneRelease                    // adopted: drop the annotations, keep the object
	pruneDelete                     // created by this GitRepo
)

// pruneDecision decides for o (nil: gone), last applied by owner.
func pruneDecision(o *unstructured.Unstructured, owner string) pruneAction {
	if o == nil || o.GetAnnotations()[AnnOwner] != owner {
		return pruneKeep
	}
	if o.GetAnnotations()[AnnCreated] == "true" {
		return pruneDelete
	}
	return pruneRelease
}

// releasePatch is the merge patch that removes the ownership annotations.
func releasePatch() []byte {
	b, _ := json.Marshal(map[string]any{"metadata": map[string]any{
		"annotations": map[string]any{AnnOwner: nil, AnnCreated: nil}}})
	return b
}

// release removes the ownership annotations from o and keeps it.
func (c *Controller) release(ctx context.Context, dyn dynamic.Interface, o *unstructured.Unstructured) error {
	ri, err := c.resourceOf(dyn, o.GroupVersionKind().GroupKind(), o.GetNamespace())
	if err != nil {
		return err
	}
	_, err = ri.Patch(ctx, o.GetName(), types.MergePatchType, releasePatch(), metav1.PatchOptions{FieldManager: FieldManager})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// existing reads o as the cluster has it (nil: absent). A kind the
// cluster serves in no version has no objects yet.
func (c *Controller) existing(ctx context.Context, dyn dynamic.Interface, o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ri, err := c.resourceOf(dyn, o.GroupVersionKind().GroupKind(), o.GetNamespace())
	if meta.IsNoMatchError(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cur, err := ri.Get(ctx, o.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return cur, err
}

// resourceOf is the client, through dyn, for kind gk in any version the
// cluster serves, in namespace ns (empty: default, as deploy.Applier
// does) unless the kind is cluster-scoped. The scope comes from the
// cluster, not from the manifest: a Namespace written with a namespace
// is still found.
func (c *Controller) resourceOf(dyn dynamic.Interface, gk schema.GroupKind, ns string) (dynamic.ResourceInterface, error) {
	m, err := c.mapper.RESTMapping(gk)
	if meta.IsNoMatchError(err) {
		c.mapper.Reset() // a CRD applied just before
		m, err = c.mapper.RESTMapping(gk)
	}
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		return dyn.Resource(m.Resource), nil
	}
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	return dyn.Resource(m.Resource).Namespace(ns), nil
}
