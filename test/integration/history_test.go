package integration

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
)

// readiness records, with times, every change to the ready endpoints of
// a Service's EndpointSlices and to its pods' Ready condition, through
// informers (their watches re-establish themselves when a server
// restarts, unlike `kubectl get -w`). A test prints it when requests to
// the Service failed, to show what the proxies saw at that moment.
type readiness struct {
	mu     sync.Mutex
	lines  []string
	last   map[string]string
	stopCh chan struct{}
}

// watchReadiness starts recording for Service svc (pods labelled
// app=svc) in the default namespace.
func watchReadiness(t *testing.T, cs kubernetes.Interface, svc string) *readiness {
	r := &readiness{last: map[string]string{}, stopCh: make(chan struct{})}
	// The reflectors log every watch the restarting server breaks; the
	// history below is what matters.
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace("default"))
	record := func(obj any) {
		switch o := obj.(type) {
		case *discoveryv1.EndpointSlice:
			if o.Labels[discoveryv1.LabelServiceName] == svc {
				r.note("slice "+o.Name, sliceState(o))
			}
		case *corev1.Pod:
			if o.Labels["app"] == svc {
				r.note("pod "+o.Name, podState(o))
			}
		}
	}
	gone := func(obj any) {
		if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		switch o := obj.(type) {
		case *discoveryv1.EndpointSlice:
			if o.Labels[discoveryv1.LabelServiceName] == svc {
				r.note("slice "+o.Name, "deleted")
			}
		case *corev1.Pod:
			if o.Labels["app"] == svc {
				r.note("pod "+o.Name, "deleted")
			}
		}
	}
	h := cache.ResourceEventHandlerFuncs{AddFunc: record, UpdateFunc: func(_, o any) { record(o) }, DeleteFunc: gone}
	if _, err := f.Discovery().V1().EndpointSlices().Informer().AddEventHandler(h); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Core().V1().Pods().Informer().AddEventHandler(h); err != nil {
		t.Fatal(err)
	}
	f.Start(r.stopCh)
	t.Cleanup(r.stop)
	return r
}

func (r *readiness) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.stopCh:
	default:
		close(r.stopCh)
	}
}

// note keeps a line when what's state changed.
func (r *readiness) note(what, state string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last[what] == state {
		return
	}
	r.last[what] = state
	r.lines = append(r.lines, fmt.Sprintf("%s %s: %s", time.Now().Format("15:04:05.000"), what, state))
}

// String is the recorded history, one change per line.
func (r *readiness) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func sliceState(s *discoveryv1.EndpointSlice) string {
	var eps []string
	for _, e := range s.Endpoints {
		node := ""
		if e.NodeName != nil {
			node = *e.NodeName
		}
		ready := e.Conditions.Ready != nil && *e.Conditions.Ready
		terminating := e.Conditions.Terminating != nil && *e.Conditions.Terminating
		eps = append(eps, fmt.Sprintf("%s@%s ready=%t terminating=%t", strings.Join(e.Addresses, ","), node, ready, terminating))
	}
	sort.Strings(eps)
	return "[" + strings.Join(eps, "; ") + "]"
}

func podState(p *corev1.Pod) string {
	ready := "unknown"
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			ready = string(c.Status)
		}
	}
	restarts := int32(0)
	for _, c := range p.Status.ContainerStatuses {
		restarts += c.RestartCount
	}
	return fmt.Sprintf("node=%s ip=%s phase=%s ready=%s restarts=%d deleting=%t", p.Spec.NodeName, p.Status.PodIP,
		p.Status.Phase, ready, restarts, p.DeletionTimestamp != nil)
}
