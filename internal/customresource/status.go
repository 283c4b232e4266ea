package customresource

import (
	"context"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
)

// Each lists the objects of ri and calls fn with each one and its typed
// form (objects that do not convert are skipped: the CRD's schema keeps
// them out). A list error (the CRD not applied yet) calls nothing.
func Each[T any](ctx context.Context, ri dynamic.ResourceInterface, fn func(u *unstructured.Unstructured, obj *T)) {
	list, err := ri.List(ctx, metav1.ListOptions{})
	if err != nil {
		return
	}
	for i := range list.Items {
		var obj T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(list.Items[i].Object, &obj); err != nil {
			continue
		}
		fn(&list.Items[i], &obj)
	}
}

// WriteStatus makes st u's status, through the status subresource of ri,
// unless it already is.
func WriteStatus(ctx context.Context, ri dynamic.ResourceInterface, u *unstructured.Unstructured, st any) error {
	raw, err := runtime.DefaultUnstructuredConverter.ToUnstructured(st)
	if err != nil {
		return err
	}
	old, _, _ := unstructured.NestedMap(u.Object, "status")
	if reflect.DeepEqual(old, raw) {
		return nil
	}
	u.Object["status"] = raw
	_, err = ri.UpdateStatus(ctx, u, metav1.UpdateOptions{})
	return err
}
