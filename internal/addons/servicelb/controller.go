package servicelb

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/shoal-dev/shoal/internal/addons/trigger"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// Controller assigns LoadBalancer ingress addresses.
type Controller struct {
	lifecycle.Task
	client kubernetes.Interface
	synced chan struct{}
}

var _ lifecycle.Component = (*Controller)(nil)

// New builds the controller on an admin client.
func New(client kubernetes.Interface) *Controller {
	return &Controller{client: client, synced: make(chan struct{})}
}

// Name implements lifecycle.Component.
func (c *Controller) Name() string { return "servicelb" }

// Start watches Services and Nodes; any change reconciles every
// LoadBalancer Service (an edge cluster has few).
func (c *Controller) Start(ctx context.Context) error {
	return c.Go(ctx, func(ctx context.Context) error {
		f := informers.NewSharedInformerFactory(c.client, 10*time.Minute)
		svcs, nodes := f.Core().V1().Services(), f.Core().V1().Nodes()
		kick := trigger.New()
		h := kick.Handler()
		if _, err := svcs.Informer().AddEventHandler(h); err != nil {
			return err
		}
		if _, err := nodes.Informer().AddEventHandler(h); err != nil {
			return err
		}
		f.Start(ctx.Done())
		defer f.Shutdown()
		if !cache.WaitForCacheSync(ctx.Done(), svcs.Informer().HasSynced, nodes.Informer().HasSynced) {
			return ctx.Err()
		}
		close(c.synced)
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-kick:
			}
			all, _ := svcs.Lister().List(labels.Everything())
			ns, _ := nodes.Lister().List(labels.Everything())
			c.reconcile(ctx, all, NodeAddresses(ns))
		}
	})
}

// Ready waits for the caches.
func (c *Controller) Ready(ctx context.Context) error { return c.WaitFor(ctx, c.synced) }

// Stop implements lifecycle.Component.
func (c *Controller) Stop(ctx context.Context) error { return c.Halt(ctx) }

func (c *Controller) reconcile(ctx context.Context, svcs []*corev1.Service, addrs []string) {
	want := Assign(svcs, addrs)
	for _, s := range svcs {
		if s.Spec.Type != corev1.ServiceTypeLoadBalancer || s.Spec.LoadBalancerClass != nil {
			continue
		}
		ips := want[s.Namespace+"/"+s.Name]
		if slices.Equal(ingressIPs(s), ips) {
			continue
		}
		upd := s.DeepCopy()
		upd.Status.LoadBalancer.Ingress = nil
		for _, ip := range ips {
			upd.Status.LoadBalancer.Ingress = append(upd.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
		}
		if _, err := c.client.CoreV1().Services(s.Namespace).UpdateStatus(ctx, upd, metav1.UpdateOptions{}); err != nil {
			klog.ErrorS(err, "servicelb: update status", "service", klog.KObj(s))
		} else if len(ips) == 0 {
			klog.InfoS("servicelb: service left pending, its port is taken by an older LoadBalancer service", "service", klog.KObj(s))
		}
	}
}

// Assign decides the ingress IPs of every LoadBalancer Service: the
// node addresses, for the oldest Service claiming each port/protocol; a
// later Service wanting a taken port gets none (pending), as it would get
// no host port with K3s's ServiceLB.
func Assign(svcs []*corev1.Service, addrs []string) map[string][]string {
	lbs := make([]*corev1.Service, 0, len(svcs))
	for _, s := range svcs {
		if s.Spec.Type == corev1.ServiceTypeLoadBalancer && s.Spec.LoadBalancerClass == nil {
			lbs = append(lbs, s)
		}
	}
	sort.Slice(lbs, func(i, j int) bool {
		ti, tj := lbs[i].CreationTimestamp, lbs[j].CreationTimestamp
		if !ti.Equal(&tj) {
			return ti.Before(&tj)
		}
		return lbs[i].Namespace+"/"+lbs[i].Name < lbs[j].Namespace+"/"+lbs[j].Name
	})
	taken := map[string]bool{}
	out := map[string][]string{}
	for _, s := range lbs {
		free := true
		for _, p := range s.Spec.Ports {
			if taken[fmt.Sprint(p.Port, p.Protocol)] {
				free = false
			}
		}
		if !free {
			continue
		}
		for _, p := range s.Spec.Ports {
			taken[fmt.Sprint(p.Port, p.Protocol)] = true
		}
		out[s.Namespace+"/"+s.Name] = addrs
	}
	return out
}

// NodeAddresses are the schedulable Ready nodes' ExternalIP, else
// InternalIP, sorted.
func NodeAddresses(nodes []*corev1.Node) []string {
	var out []string
	for _, n := range nodes {
		if n.Spec.Unschedulable || !ready(n) {
			continue
		}
		ip := ""
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeExternalIP {
				ip = a.Address
			}
		}
		for _, a := range n.Status.Addresses {
			if ip == "" && a.Type == corev1.NodeInternalIP {
				ip = a.Address
			}
		}
		if ip != "" {
			out = append(out, ip)
		}
	}
	sort.Strings(out)
	return out
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func ingressIPs(s *corev1.Service) []string {
	var out []string
	for _, i := range s.Status.LoadBalancer.Ingress {
		out = append(out, i.IP)
	}
	return out
}
