package controlplane

import (
	"context"
	"fmt"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// RBAC ensures the cluster roles and the admission policy shoal's own
// components need beyond the upstream bootstrap policy. It is done once
// the apiserver is up, before any node starts.
//
// Every node component runs as its node (system:node:NAME): the Node
// authorizer and NodeRestriction let it write only its own Node. What
// nodes need beyond that is read-only: every Node (flannel routes to their
// pod subnets; upstream's Node authorizer now limits a node to its own).
type RBAC struct {
	lifecycle.Task
	admin *rest.Config
	done  chan struct{}
}

var _ lifecycle.Component = (*RBAC)(nil)

// NewRBAC uses the admin identity.
func NewRBAC(admin *rest.Config) *RBAC { return &RBAC{admin: admin, done: make(chan struct{})} }

// Name implements lifecycle.Component.
func (r *RBAC) Name() string { return "cluster roles" }

// Start applies the roles (retrying while the apiserver settles), then idles.
func (r *RBAC) Start(ctx context.Context) error {
	return r.Go(ctx, func(ctx context.Context) error {
		client, err := kubernetes.NewForConfig(r.admin)
		if err != nil {
			return err
		}
		err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			return ensureNodeRoles(ctx, client) == nil, nil
		})
		if err != nil {
			return fmt.Errorf("cluster roles: %w (last: %v)", err, ensureNodeRoles(ctx, client))
		}
		close(r.done)
		<-ctx.Done()
		return nil
	})
}

// Ready waits until the roles exist.
func (r *RBAC) Ready(ctx context.Context) error { return r.WaitFor(ctx, r.done) }

// Stop implements lifecycle.Component.
func (r *RBAC) Stop(ctx context.Context) error { return r.Halt(ctx) }

// NodeReaderRole is the read-only role every node holds.
const NodeReaderRole = "shoal:node-reader"

// legacyFlannelRole was a cluster-wide identity that could patch every
// Node's status (and so its annotations): removed where it is found.
const legacyFlannelRole = "shoal:flannel"

func ensureNodeRoles(ctx context.Context, c kubernetes.Interface) error {
	meta := metav1.ObjectMeta{Name: NodeReaderRole, Labels: map[string]string{"app.kubernetes.io/managed-by": "shoal"}}
	role := &rbacv1.ClusterRole{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"}},
		// Their orders (status.nodes[NAME].order), written by the controllers only.
		{APIGroups: []string{"upgrade.shoal.io"}, Resources: []string{"plans", "osimages"}, Verbs: []string{"get", "list", "watch"}},
	}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: meta,
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: meta.Name},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:nodes"}},
	}
	if err := apply(ctx, c.RbacV1().ClusterRoles(), role); err != nil {
		return err
	}
	if err := apply(ctx, c.RbacV1().ClusterRoleBindings(), binding); err != nil {
		return err
	}
	for _, err := range []error{
		c.RbacV1().ClusterRoleBindings().Delete(ctx, legacyFlannelRole, metav1.DeleteOptions{}),
		c.RbacV1().ClusterRoles().Delete(ctx, legacyFlannelRole, metav1.DeleteOptions{}),
	} {
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return ensurePodCIDRPolicy(ctx, c)
}

// object is what apply needs of a typed client.
type object[T metav1.Object] interface {
	Get(context.Context, string, metav1.GetOptions) (T, error)
	Create(context.Context, T, metav1.CreateOptions) (T, error)
	Update(context.Context, T, metav1.UpdateOptions) (T, error)
}

// apply creates obj, or updates the existing one to it (some kinds, such
// as admission policies, take no update without the current
// resourceVersion).
func apply[T metav1.Object](ctx context.Context, c object[T], obj T) error {
	cur, err := c.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = c.Create(ctx, obj, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	obj.SetResourceVersion(cur.GetResourceVersion())
	_, err = c.Update(ctx, obj, metav1.UpdateOptions{})
	return err
}

// podCIDRPolicy keeps a node from choosing its own pod CIDRs. Upstream
// validation makes them immutable once set, but a node may create its
// Node with them, or set them while they are empty; the supervisor routes
// the apiserver's traffic for a pod address to the node whose pod CIDR
// holds it, so a node claiming another's range would receive that traffic.
const podCIDRPolicy = "shoal-node-pod-cidrs"

const podCIDRUnchanged = `request.operation == 'CREATE' ?
  (!has(object.spec.podCIDR) || object.spec.podCIDR == '') && (!has(object.spec.podCIDRs) || size(object.spec.podCIDRs) == 0) :
  (has(object.spec.podCIDR) ? object.spec.podCIDR : '') == (has(oldObject.spec.podCIDR) ? oldObject.spec.podCIDR : '') &&
  (has(object.spec.podCIDRs) ? object.spec.podCIDRs : []) == (has(oldObject.spec.podCIDRs) ? oldObject.spec.podCIDRs : [])`

func ensurePodCIDRPolicy(ctx context.Context, c kubernetes.Interface) error {
	meta := metav1.ObjectMeta{Name: podCIDRPolicy, Labels: map[string]string{"app.kubernetes.io/managed-by": "shoal"}}
	fail := admissionv1.Fail
	policy := &admissionv1.ValidatingAdmissionPolicy{ObjectMeta: meta, Spec: admissionv1.ValidatingAdmissionPolicySpec{
		FailurePolicy: &fail,
		MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
			RuleWithOperations: admissionv1.RuleWithOperations{
				Operations: []admissionv1.OperationType{admissionv1.Create, admissionv1.Update},
				Rule:       admissionv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"nodes"}},
			}}}},
		MatchConditions: []admissionv1.MatchCondition{{Name: "by-a-node", Expression: "request.userInfo.username.startsWith('system:node:')"}},
		Validations: []admissionv1.Validation{{Expression: podCIDRUnchanged,
			Message: "a node may not set its own pod CIDRs: kube-controller-manager allocates them"}},
	}}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{ObjectMeta: meta, Spec: admissionv1.ValidatingAdmissionPolicyBindingSpec{
		PolicyName: podCIDRPolicy, ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny}}}
	if err := apply(ctx, c.AdmissionregistrationV1().ValidatingAdmissionPolicies(), policy); err != nil {
		return err
	}
	return apply(ctx, c.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings(), binding)
}
