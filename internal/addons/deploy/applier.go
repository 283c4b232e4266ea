package deploy

import (
	"context"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Applier server-side applies objects of any type under one field
// manager and deletes them by reference (the auto-deploy directory and
// GitOps share it).
type Applier struct {
	Manager string
	dyn     dynamic.Interface
	mapper  *restmapper.DeferredDiscoveryRESTMapper
	report  func(string, ...any)
}

// NewApplier is an Applier with cfg's identity.
func NewApplier(cfg *rest.Config, manager string, report func(string, ...any)) (*Applier, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return &Applier{Manager: manager, dyn: dyn, report: report,
		mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}, nil
}

func (a *Applier) mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		a.mapper.Reset() // a CRD applied just before
		m, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	return m, err
}

// resource is o's client, with o's namespace set (default) or cleared
// (cluster-scoped).
func (a *Applier) resource(o *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	m, err := a.mapping(o.GroupVersionKind())
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() != meta.RESTScopeNameNamespace {
		o.SetNamespace("")
		return a.dyn.Resource(m.Resource), nil
	}
	if o.GetNamespace() == "" {
		o.SetNamespace(metav1.NamespaceDefault)
	}
	return a.dyn.Resource(m.Resource).Namespace(o.GetNamespace()), nil
}

// Apply applies o (dryRun: the apiserver validates and admits it, and
// stores nothing).
func (a *Applier) Apply(ctx context.Context, o *unstructured.Unstructured, dryRun bool) (Ref, error) {
	ri, err := a.resource(o)
	if err != nil {
		return Ref{}, err
	}
	opts := metav1.ApplyOptions{FieldManager: a.Manager, Force: true}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	if _, err := ri.Apply(ctx, o.GetName(), o, opts); err != nil {
		return Ref{}, err
	}
	return Ref{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()}, nil
}

// Get reads the object ref names (nil, nil when it is gone).
func (a *Applier) Get(ctx context.Context, r Ref) (*unstructured.Unstructured, error) {
	gv, err := schema.ParseGroupVersion(r.APIVersion)
	if err != nil {
		return nil, err
	}
	m, err := a.mapping(gv.WithKind(r.Kind))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Kind, err)
	}
	var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
	if r.Namespace != "" {
		ri = a.dyn.Resource(m.Resource).Namespace(r.Namespace)
	}
	o, err := ri.Get(ctx, r.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return o, err
}

// DeleteAll deletes objects in reverse order (CRDs and namespaces last).
func (a *Applier) DeleteAll(ctx context.Context, refs []Ref) {
	for i := len(refs) - 1; i >= 0; i-- {
		r := refs[i]
		gv, err := schema.ParseGroupVersion(r.APIVersion)
		if err != nil {
			continue
		}
		m, err := a.mapping(gv.WithKind(r.Kind))
		if err != nil {
			continue // its type is gone, so is it
		}
		var ri dynamic.ResourceInterface = a.dyn.Resource(m.Resource)
		if r.Namespace != "" {
			ri = a.dyn.Resource(m.Resource).Namespace(r.Namespace)
		}
		policy := metav1.DeletePropagationBackground
		if err := ri.Delete(ctx, r.Name, metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil && !apierrors.IsNotFound(err) {
			a.report("%s: delete %s %s/%s: %v", a.Manager, r.Kind, r.Namespace, r.Name, err)
		}
	}
}

// SortForApply orders items so that namespaces, then CRDs, come first.
func SortForApply[T any](items []T, obj func(T) *unstructured.Unstructured) {
	sort.SliceStable(items, func(i, j int) bool { return rank(obj(items[i])) < rank(obj(items[j])) })
}

// NeedsEarlierObject reports whether a dry run failed only because an
// object applied before it (a namespace, a CRD) was not stored.
func NeedsEarlierObject(err error) bool {
	return apierrors.IsNotFound(err) || meta.IsNoMatchError(err)
}
