package upgrade

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/shoal-dev/shoal/internal/customresource"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// PlanResource is the Plan API.
var PlanResource = schema.GroupVersionResource{Group: "upgrade.shoal.io", Version: "v1", Resource: "plans"}

// Per-node phases in a Plan's status.
const (
	PhasePending  = "Pending"
	PhaseCordoned = "Cordoned"
	PhaseComplete = "Complete"
	PhaseFailed   = "Failed"
)

// serverLabel marks servers' nodes; a Plan upgrades them first.
const serverLabel = "node-role.kubernetes.io/control-plane"

// Controller drives Plans: see the package doc.
type Controller struct {
	lifecycle.Task
	// LocalNode is this server's own node (if any): labelled as a server's
	// (node-role.kubernetes.io/control-plane), which kubelet may not do.
	LocalNode string
	Client    kubernetes.Interface
	Dynamic   dynamic.Interface
	Every     time.Duration
	Now       func() time.Time
	Report    func(string, ...any)
}

var _ lifecycle.Component = (*Controller)(nil)

// Name implements lifecycle.Component.
func (c *Controller) Name() string { return "upgrade controller" }

// Start runs the control loop.
func (c *Controller) Start(ctx context.Context) error {
	if c.Every == 0 {
		c.Every = 2 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c.Tick(ctx, c.Every, c.sync)
}

// Ready implements lifecycle.Component.
func (c *Controller) Ready(context.Context) error { return nil }

// Stop implements lifecycle.Component.
func (c *Controller) Stop(ctx context.Context) error { return c.Halt(ctx) }

func (c *Controller) sync(ctx context.Context) {
	c.labelLocalNode(ctx)
	ri := c.Dynamic.Resource(PlanResource)
	customresource.Each(ctx, ri, func(u *unstructured.Unstructured, p *Plan) {
		p.Name = u.GetName()
		st, err := c.step(ctx, p)
		if err != nil {
			c.Report("upgrade plan %s: %v", p.Name, err)
			return
		}
		if err := customresource.WriteStatus(ctx, ri, u, st); err != nil {
			c.Report("upgrade plan %s: status: %v", p.Name, err)
		}
	})
}

func (c *Controller) labelLocalNode(ctx context.Context) {
	if c.LocalNode == "" {
		return
	}
	n, err := c.Client.CoreV1().Nodes().Get(ctx, c.LocalNode, metav1.GetOptions{})
	if err != nil || n.Labels[serverLabel] == "true" {
		return
	}
	b, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]string{serverLabel: "true"}}})
	_, _ = c.Client.CoreV1().Nodes().Patch(ctx, c.LocalNode, types.MergePatchType, b, metav1.PatchOptions{})
}

// step computes each node's phase from its reports and orders, starts as many
// nodes as the Plan allows, and returns the status.
func (c *Controller) step(ctx context.Context, p *Plan) (*PlanStatus, error) {
	nodes, err := c.Client.CoreV1().Nodes().List(ctx, metav1.ListOptions{
		LabelSelector: labels.SelectorFromSet(p.Spec.NodeSelector.MatchLabels).String()})
	if err != nil {
		return nil, err
	}
	items := nodes.Items
	sort.Slice(items, func(i, j int) bool {
		si, sj := isServer(&items[i]), isServer(&items[j])
		if si != sj {
			return si
		}
		return items[i].Name < items[j].Name
	})
	st := &PlanStatus{Total: len(items), Nodes: map[string]NodeStatus{}}
	active, serversLeft := 0, false
	var pending []*corev1.Node
	for i := range items {
		n := &items[i]
		ns := nodePhase(n, p.Spec.Version, p.Status.Nodes[n.Name].Order)
		switch ns.Phase {
		case PhaseComplete:
			st.Complete++
			ns.Order = c.finish(ctx, n, p, ns.Order, false)
		case StateRolledBack:
			st.Reason = fmt.Sprintf("node %s rolled back: %s", n.Name, ns.Reason)
			ns.Order = c.finish(ctx, n, p, ns.Order, true)
		case StateUpgrading, StateVerifying:
			active++
		default:
			pending = append(pending, n)
		}
		if ns.Phase != PhaseComplete && isServer(n) {
			serversLeft = true
		}
		st.Nodes[n.Name] = ns
	}
	switch {
	case st.Reason != "":
		st.Phase = PhaseFailed // no other node is touched
	case st.Complete == st.Total:
		st.Phase = PhaseComplete
	case !p.Spec.Window.open(c.Now()):
		st.Phase, st.Reason = PhasePending, "outside the maintenance window"
	default:
		st.Phase = StateUpgrading
		for _, n := range pending {
			if active >= max(1, p.Spec.Concurrency) || (serversLeft && !isServer(n)) {
				break // servers before agents
			}
			order, err := c.start(ctx, n, p)
			if err != nil {
				return nil, err
			}
			st.Nodes[n.Name] = NodeStatus{Phase: PhaseCordoned, Version: n.Annotations[AnnVersion], Order: order}
			active++
		}
	}
	return st, nil
}

// nodePhase reads a node's phase for a target version from what it
// reports and the order it was given (the previous status's), which the
// result carries on while the order is for target.
func nodePhase(n *corev1.Node, target string, order *Order) NodeStatus {
	a := n.Annotations
	ns := NodeStatus{Phase: PhasePending, Version: a[AnnVersion]}
	if order != nil && order.Version == target {
		ns.Order = order
	}
	switch {
	case a[AnnVersion] == target && a[AnnState] != StateUpgrading && a[AnnState] != StateVerifying:
		ns.Phase = PhaseComplete
	case ns.Order != nil && a[AnnState] == StateRolledBack:
		ns.Phase, ns.Reason = StateRolledBack, a[AnnReason]
	case ns.Order != nil && a[AnnState] == StateVerifying:
		ns.Phase = StateVerifying
	case ns.Order != nil:
		ns.Phase = StateUpgrading
	}
	return ns
}

func isServer(n *corev1.Node) bool { _, ok := n.Labels[serverLabel]; return ok }

// legacyAnnotations are where earlier shoal versions put the orders, on
// the Node, which the node's own identity could write: cleared where found.
func legacyAnnotations() []string {
	return []string{"upgrade.shoal.io/target", "upgrade.shoal.io/binary", "upgrade.shoal.io/sha256",
		"upgrade.shoal.io/path", "upgrade.shoal.io/cordoned", "upgrade.shoal.io/deadline"}
}

// start cordons (and drains) the node, clears its last report and returns
// its order, which the Plan's status carries to it.
func (c *Controller) start(ctx context.Context, n *corev1.Node, p *Plan) (*Order, error) {
	order := &Order{Version: p.Spec.Version, File: p.Spec.Binary.File, SHA256: p.Spec.Binary.SHA256, Path: p.Spec.Binary.Path,
		DeadlineSeconds: max(30, p.Spec.DeadlineSeconds)}
	ann := map[string]any{AnnState: nil, AnnReason: nil}
	for _, k := range legacyAnnotations() {
		if _, ok := n.Annotations[k]; ok {
			ann[k] = nil
		}
	}
	spec := map[string]any{}
	if p.cordon() && !n.Spec.Unschedulable {
		order.Cordoned = true
		spec["unschedulable"] = true
	}
	if err := c.patch(ctx, n.Name, ann, spec); err != nil {
		return nil, err
	}
	c.event(ctx, p, "UpgradeStarted", fmt.Sprintf("node %s: shoal %s → %s", n.Name, n.Annotations[AnnVersion], p.Spec.Version))
	if p.Spec.Drain {
		c.drain(ctx, n.Name)
	}
	return order, nil
}

// finish uncordons a node this controller cordoned once it is done, and
// returns the order to keep: none once the node runs the version; after a
// roll-back the order, finished, which keeps the node from retrying it.
// An uncordon that fails keeps the order as it was, to retry.
func (c *Controller) finish(ctx context.Context, n *corev1.Node, p *Plan, o *Order, rolledBack bool) *Order {
	if o == nil || o.Finished {
		return o
	}
	if o.Cordoned {
		if err := c.patch(ctx, n.Name, nil, map[string]any{"unschedulable": false}); err != nil {
			return o
		}
	}
	what := "UpgradeComplete"
	if rolledBack {
		what = "RolledBack"
	}
	c.event(ctx, p, what, fmt.Sprintf("node %s: shoal %s (%s)", n.Name, n.Annotations[AnnVersion], n.Annotations[AnnReason]))
	if !rolledBack {
		return nil
	}
	done := *o
	done.Cordoned, done.Finished = false, true
	return &done
}

func (c *Controller) patch(ctx context.Context, node string, ann, spec map[string]any) error {
	body := map[string]any{}
	if len(ann) > 0 {
		body["metadata"] = map[string]any{"annotations": ann}
	}
	if len(spec) > 0 {
		body["spec"] = spec
	}
	b, _ := json.Marshal(body)
	_, err := c.Client.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, b, metav1.PatchOptions{})
	return err
}

// drain evicts the node's pods except DaemonSet and static ones.
func (c *Controller) drain(ctx context.Context, node string) {
	pods, err := c.Client.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=" + node})
	if err != nil {
		return
	}
	for _, pod := range pods.Items {
		if owner := metav1.GetControllerOf(&pod); (owner != nil && owner.Kind == "DaemonSet") || pod.Annotations[corev1.MirrorPodAnnotationKey] != "" {
			continue
		}
		_ = c.Client.PolicyV1().Evictions(pod.Namespace).Evict(ctx, &policyv1.Eviction{
			ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace}})
	}
}

// event records what happened to a Plan (cluster-scoped: in "default").
func (c *Controller) event(ctx context.Context, p *Plan, reason, msg string) {
	now := metav1.NewTime(c.Now())
	_, _ = c.Client.CoreV1().Events("default").Create(ctx, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{GenerateName: "plan-" + p.Name + "-", Namespace: "default"},
		InvolvedObject: corev1.ObjectReference{APIVersion: "upgrade.shoal.io/v1", Kind: "Plan", Name: p.Name},
		Reason:         reason, Message: msg, Type: corev1.EventTypeNormal, Source: corev1.EventSource{Component: "shoal-upgrade"},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}, metav1.CreateOptions{})
	c.Report("upgrade plan %s: %s: %s", p.Name, reason, msg)
}
