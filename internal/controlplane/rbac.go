package controlplane

import (
	"context"
	"fmt"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// FlannelUser is the identity of every node's embedded flannel. The Node
// authorizer lets a kubelet read only its own Node, but flannel watches
// all of them to program routes to their pod subnets.
const FlannelUser = "system:shoal-flannel"

// RBAC ensures the cluster roles shoal's own components need beyond the
// upstream bootstrap policy. It is done once the apiserver is up, before
// any node starts.
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
			return ensureFlannelRole(ctx, client) == nil, nil
		})
		if err != nil {
			return fmt.Errorf("cluster roles: %w (last: %v)", err, ensureFlannelRole(ctx, client))
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

func ensureFlannelRole(ctx context.Context, c kubernetes.Interface) error {
	meta := metav1.ObjectMeta{Name: "shoal:flannel", Labels: map[string]string{"app.kubernetes.io/managed-by": "shoal"}}
	role := &rbacv1.ClusterRole{ObjectMeta: meta, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"nodes/status"}, Verbs: []string{"patch"}},
	}}
	binding := &rbacv1.ClusterRoleBinding{ObjectMeta: meta,
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: meta.Name},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: FlannelUser}},
	}
	if _, err := c.RbacV1().ClusterRoles().Update(ctx, role, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
		_, err = c.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{})
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if _, err := c.RbacV1().ClusterRoleBindings().Update(ctx, binding, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
		_, err = c.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{})
		return err
	} else {
		return err
	}
}
