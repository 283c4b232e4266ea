package customresource

import (
	"context"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
)

// NodeOrder is what a node reads of its orders: status.nodes[node].order
// of the first object of ri (by name) that holds one, and that object's
// name. Only a resource's controller writes its status (nodes may read,
// not write, Plans and OSImages), so a node cannot order itself or
// another node; what a node writes is its own reports, on its own Node.
// No order: nil, "", nil.
func NodeOrder[T any](ctx context.Context, ri dynamic.ResourceInterface, node string) (*T, string, error) {
	list, err := ri.List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, "", err
	}
	items := list.Items
	sort.Slice(items, func(i, j int) bool { return items[i].GetName() < items[j].GetName() })
	for i := range items {
		raw, ok, _ := unstructured.NestedMap(items[i].Object, "status", "nodes", node, "order")
		if !ok {
			continue
		}
		var order T
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &order); err != nil {
			continue
		}
		return &order, items[i].GetName(), nil
	}
	return nil, "", nil
}
