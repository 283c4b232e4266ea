package helm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/klog/v2"

	"github.com/shoal-dev/shoal/internal/addons/trigger"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// Resource is the HelmChart API, the same as K3s's.
var Resource = schema.GroupVersionResource{Group: "helm.cattle.io", Version: "v1", Resource: "helmcharts"}

const finalizer = "shoal.dev/helm-release"

// Controller reconciles HelmCharts.
type Controller struct {
	lifecycle.Task
	rest      *rest.Config
	chartsDir string
	releaser  releaser
	started   chan struct{}
}

var _ lifecycle.Component = (*Controller)(nil)

// New builds the controller: admin is its API identity, kubeconfig the same
// identity as a file for helm, chartsDir where spec.chart files live.
func New(admin *rest.Config, kubeconfig, chartsDir string) *Controller {
	return &Controller{rest: admin, chartsDir: chartsDir, releaser: releaser{kubeconfig: kubeconfig}, started: make(chan struct{})}
}

// Name implements lifecycle.Component.
func (c *Controller) Name() string { return "helm controller" }

// Ready is immediate once started: the HelmChart CRD may still be on its
// way from the manifests directory, and the informer waits for it.
func (c *Controller) Ready(ctx context.Context) error { return c.WaitFor(ctx, c.started) }

// Stop implements lifecycle.Component.
func (c *Controller) Stop(ctx context.Context) error { return c.Halt(ctx) }

// Start watches HelmCharts and reconciles all of them on any change, and
// every 30 s (a chart file in the manifests directory may change).
func (c *Controller) Start(ctx context.Context) error {
	dyn, err := dynamic.NewForConfig(c.rest)
	if err != nil {
		return err
	}
	return c.Go(ctx, func(ctx context.Context) error {
		f := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 10*time.Minute)
		inf := f.ForResource(Resource)
		kick := trigger.New()
		if _, err := inf.Informer().AddEventHandler(kick.Handler()); err != nil {
			return err
		}
		f.Start(ctx.Done())
		defer f.Shutdown()
		close(c.started)
		resync := time.NewTicker(30 * time.Second)
		defer resync.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-kick:
			case <-resync.C:
			}
			if !inf.Informer().HasSynced() {
				continue
			}
			objs, _ := inf.Lister().List(labels.Everything())
			for _, o := range objs {
				if u, ok := o.(*unstructured.Unstructured); ok {
					c.reconcile(ctx, dyn, u.DeepCopy())
				}
			}
		}
	})
}

func (c *Controller) reconcile(ctx context.Context, dyn dynamic.Interface, u *unstructured.Unstructured) {
	ri := dyn.Resource(Resource).Namespace(u.GetNamespace())
	var spec Spec
	if raw, ok := u.Object["spec"]; ok {
		b, _ := json.Marshal(raw)
		if err := json.Unmarshal(b, &spec); err != nil {
			c.setStatus(ctx, ri, u, "", 0, "spec: "+err.Error())
			return
		}
	}
	ns := spec.TargetNamespace
	if ns == "" {
		ns = u.GetNamespace()
	}
	if u.GetDeletionTimestamp() != nil {
		if !slices.Contains(u.GetFinalizers(), finalizer) {
			return
		}
		if err := c.releaser.uninstall(u.GetName(), ns); err != nil {
			klog.ErrorS(err, "helm: uninstall", "helmchart", klog.KObj(u))
			return
		}
		u.SetFinalizers(slices.DeleteFunc(u.GetFinalizers(), func(f string) bool { return f == finalizer }))
		if _, err := ri.Update(ctx, u, metav1.UpdateOptions{}); err != nil {
			klog.ErrorS(err, "helm: remove finalizer", "helmchart", klog.KObj(u))
		}
		return
	}
	ch, tgz, err := loadChart(spec, c.chartsDir)
	if err != nil {
		c.setStatus(ctx, ri, u, "", 0, err.Error())
		return
	}
	vals, err := values(spec)
	if err != nil {
		c.setStatus(ctx, ri, u, "", 0, err.Error())
		return
	}
	hash := digest(spec, tgz)
	if st, _, _ := unstructured.NestedString(u.Object, "status", "appliedHash"); st == hash {
		return
	}
	if !slices.Contains(u.GetFinalizers(), finalizer) {
		u.SetFinalizers(append(u.GetFinalizers(), finalizer))
		updated, uerr := ri.Update(ctx, u, metav1.UpdateOptions{})
		if uerr != nil {
			klog.ErrorS(uerr, "helm: add finalizer", "helmchart", klog.KObj(u))
			return
		}
		u = updated
	}
	rev, err := c.releaser.apply(ctx, u.GetName(), ns, ch, vals)
	if err != nil {
		c.setStatus(ctx, ri, u, "", 0, err.Error())
		return
	}
	klog.InfoS("helm: release applied", "helmchart", klog.KObj(u), "namespace", ns, "revision", rev)
	c.setStatus(ctx, ri, u, hash, rev, "")
}

func (c *Controller) setStatus(ctx context.Context, ri dynamic.ResourceInterface, u *unstructured.Unstructured, hash string, rev int, msg string) {
	if msg != "" {
		klog.InfoS("helm: chart not applied", "helmchart", klog.KObj(u), "reason", msg)
		if cur, _, _ := unstructured.NestedString(u.Object, "status", "error"); cur == msg {
			return
		}
	}
	status := map[string]any{"appliedHash": hash, "revision": int64(rev), "error": msg}
	// The deploy controller may re-apply the HelmChart meanwhile: retry on
	// the fresh object, or the next pass would upgrade once more.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		_ = unstructured.SetNestedMap(u.Object, status, "status")
		_, err := ri.Update(ctx, u, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			fresh, gerr := ri.Get(ctx, u.GetName(), metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			u = fresh
		}
		return err
	})
	if err != nil {
		klog.ErrorS(err, "helm: status", "helmchart", klog.KObj(u))
	}
}

func digest(spec Spec, tgz []byte) string {
	h := sha256.New()
	b, _ := json.Marshal(spec)
	h.Write(b)
	h.Write(tgz)
	return hex.EncodeToString(h.Sum(nil))
}
