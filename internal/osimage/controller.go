package osimage

import (
	"context"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/shoal-dev/shoal/internal/customresource"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// Controller rolls OSImages out: it targets selected nodes, at most
// Concurrency at a time, stops at the first roll-back, and keeps each
// image's status from what the nodes report. Like the Plan controller it
// holds no state of its own: the orders are in the OSImage's status, the
// nodes' reports in their annotations.
type Controller struct {
	lifecycle.Task
	Client  kubernetes.Interface
	Dynamic dynamic.Interface
	Every   time.Duration
	Report  func(string, ...any)
}

var _ lifecycle.Component = (*Controller)(nil)

// Name implements lifecycle.Component.
func (c *Controller) Name() string { return "os image controller" }

// Ready implements lifecycle.Component.
func (c *Controller) Ready(context.Context) error { return nil }

// Stop implements lifecycle.Component.
func (c *Controller) Stop(ctx context.Context) error { return c.Halt(ctx) }

// Start implements lifecycle.Component.
func (c *Controller) Start(ctx context.Context) error {
	if c.Every == 0 {
		c.Every = 2 * time.Second
	}
	return c.Tick(ctx, c.Every, c.sync)
}

func (c *Controller) sync(ctx context.Context) {
	ri := c.Dynamic.Resource(Resource)
	customresource.Each(ctx, ri, func(u *unstructured.Unstructured, img *OSImage) {
		img.Name = u.GetName()
		st, err := c.step(ctx, img)
		if err != nil {
			c.Report("OS image %s: %v", img.Name, err)
			return
		}
		if err := customresource.WriteStatus(ctx, ri, u, st); err != nil {
			c.Report("OS image %s: status: %v", img.Name, err)
		}
	})
}

// step reads each selected node's state and targets more nodes while
// fewer than Concurrency are in flight and none rolled back.
func (c *Controller) step(ctx context.Context, img *OSImage) (*Status, error) {
	nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(img.Spec.NodeSelector.MatchLabels).String()})
	if err != nil {
		return nil, err
	}
	items := nodes.Items
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	st := &Status{Total: len(items), Nodes: map[string]NodeStatus{}}
	sum := img.Spec.Image.SHA256
	inFlight, failed := 0, ""
	var pending []*corev1.Node
	for i := range items {
		n := &items[i]
		ns := nodeStatus(n, sum, img.Status.Nodes[n.Name].Order)
		st.Nodes[n.Name] = ns
		switch ns.Result {
		case ResultComplete:
			st.Complete++
		case ResultRolledBack:
			failed = n.Name + ": " + ns.Reason
		case "Pending":
			pending = append(pending, n)
		default:
			inFlight++
		}
	}
	concurrency := max(img.Spec.Concurrency, 1)
	for _, n := range pending {
		if failed != "" || inFlight >= concurrency {
			break
		}
		// The node's last result is about an earlier order: cleared.
		if err := upgrade.Annotate(ctx, c.Client, n.Name, map[string]string{AnnResult: "", AnnFor: "", AnnReason: ""}); err != nil {
			return nil, err
		}
		c.Report("OS image %s: node %s targeted", img.Name, n.Name)
		st.Nodes[n.Name] = NodeStatus{Slot: st.Nodes[n.Name].Slot, Digest: st.Nodes[n.Name].Digest, Result: ResultInstalling, Order: order(img)}
		inFlight++
	}
	switch {
	case failed != "":
		st.Phase, st.Reason = "Failed", failed
	case st.Complete == st.Total:
		st.Phase = "Complete"
	default:
		st.Phase = "Rolling"
	}
	return st, nil
}

// order is what a targeted node is asked to do.
func order(img *OSImage) *Order {
	tries := img.Spec.BootTries
	if tries < 1 {
		tries = 2
	}
	deadline := img.Spec.DeadlineSeconds
	if deadline < 1 {
		deadline = 300
	}
	return &Order{SHA256: img.Spec.Image.SHA256, Name: img.Name, File: img.Spec.Image.File, BootTries: tries, DeadlineSeconds: deadline}
}

// nodeStatus is node n's state with respect to the image archive sum,
// from what it reports and the order it was given (the previous status's,
// carried on while the node is in flight or rolled back).
func nodeStatus(n *corev1.Node, sum string, o *Order) NodeStatus {
	a := n.Annotations
	ns := NodeStatus{Slot: a[AnnSlot], Digest: a[AnnDigest], Result: "Pending"}
	ordered := o != nil && o.SHA256 == sum
	switch {
	case ordered && a[AnnFor] == sum && a[AnnResult] == ResultRolledBack:
		ns.Result, ns.Reason = ResultRolledBack, a[AnnReason]
	case a[AnnSHA256] == sum && a[AnnResult] != ResultVerifying:
		ns.Result = ResultComplete
	case ordered:
		ns.Result = a[AnnResult]
		if a[AnnFor] != sum || ns.Result == "" {
			ns.Result = ResultInstalling
		}
	}
	if ordered && ns.Result != ResultComplete {
		ns.Order = o
	}
	return ns
}
