package localpath

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/shoal-dev/shoal/internal/addons/trigger"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// Provisioner is the name in the StorageClass.
const Provisioner = "shoal.dev/local-path"

const (
	annSelectedNode = "volume.kubernetes.io/selected-node"
	annProvisioner  = "volume.kubernetes.io/storage-provisioner"
	annProvisioned  = "pv.kubernetes.io/provisioned-by"
)

// Controller provisions and deletes local-path volumes.
type Controller struct {
	lifecycle.Task
	client     kubernetes.Interface
	localNode  string // the node whose directories this process can remove
	storageDir string // the only directory whose volume directories it removes
	synced     chan struct{}
	refused    map[types.UID]string // per PV: the refusal last reported
}

var _ lifecycle.Component = (*Controller)(nil)

// New builds the provisioner; localNode may be empty (no local node).
// storageDir is the directory volumes are made under (--data-dir's
// storage): only a volume directory the provisioner named, strictly inside
// it, is ever removed; with "", none is.
func New(client kubernetes.Interface, localNode, storageDir string) *Controller {
	return &Controller{client: client, localNode: localNode, storageDir: storageDir,
		synced: make(chan struct{}), refused: map[types.UID]string{}}
}

// Name implements lifecycle.Component.
func (c *Controller) Name() string { return "local-path provisioner" }

// Start watches PVCs, PVs and StorageClasses and reconciles on change.
func (c *Controller) Start(ctx context.Context) error {
	return c.Go(ctx, func(ctx context.Context) error {
		f := informers.NewSharedInformerFactory(c.client, 5*time.Minute)
		pvcs, pvs, scs := f.Core().V1().PersistentVolumeClaims(), f.Core().V1().PersistentVolumes(), f.Storage().V1().StorageClasses()
		kick := trigger.New()
		h := kick.Handler()
		for _, inf := range []cache.SharedIndexInformer{pvcs.Informer(), pvs.Informer(), scs.Informer()} {
			if _, err := inf.AddEventHandler(h); err != nil {
				return err
			}
		}
		f.Start(ctx.Done())
		defer f.Shutdown()
		if !cache.WaitForCacheSync(ctx.Done(), pvcs.Informer().HasSynced, pvs.Informer().HasSynced, scs.Informer().HasSynced) {
			return ctx.Err()
		}
		close(c.synced)
		retry := time.NewTicker(10 * time.Second)
		defer retry.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-kick:
			case <-retry.C:
			}
			claims, _ := pvcs.Lister().List(labels.Everything())
			for _, pvc := range claims {
				if pvc.Status.Phase == corev1.ClaimPending && pvc.Annotations[annProvisioner] == Provisioner && pvc.Annotations[annSelectedNode] != "" {
					sc, err := scs.Lister().Get(storageClassOf(pvc))
					if err != nil {
						continue
					}
					if err := c.provision(ctx, pvc, sc.Parameters["path"], sc.ReclaimPolicy); err != nil {
						klog.ErrorS(err, "local-path: provision", "pvc", klog.KObj(pvc))
					}
				}
			}
			volumes, _ := pvs.Lister().List(labels.Everything())
			for _, pv := range volumes {
				if pv.Annotations[annProvisioned] == Provisioner && pv.Status.Phase == corev1.VolumeReleased &&
					pv.Spec.PersistentVolumeReclaimPolicy == corev1.PersistentVolumeReclaimDelete {
					if err := c.remove(ctx, pv); err != nil {
						klog.ErrorS(err, "local-path: delete", "pv", pv.Name)
					}
				}
			}
		}
	})
}

// Ready waits for the caches.
func (c *Controller) Ready(ctx context.Context) error { return c.WaitFor(ctx, c.synced) }

// Stop implements lifecycle.Component.
func (c *Controller) Stop(ctx context.Context) error { return c.Halt(ctx) }

func storageClassOf(pvc *corev1.PersistentVolumeClaim) string {
	if pvc.Spec.StorageClassName != nil {
		return *pvc.Spec.StorageClassName
	}
	return ""
}

// Volume is the PV for pvc on node, under base.
func Volume(pvc *corev1.PersistentVolumeClaim, base, node string, policy *corev1.PersistentVolumeReclaimPolicy) *corev1.PersistentVolume {
	name := "pvc-" + string(pvc.UID)
	dirType := corev1.HostPathDirectoryOrCreate
	reclaim := corev1.PersistentVolumeReclaimDelete
	if policy != nil {
		reclaim = *policy
	}
	return &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: map[string]string{annProvisioned: Provisioner}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              storageClassOf(pvc),
			VolumeMode:                    pvc.Spec.VolumeMode,
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: pvc.Namespace, Name: pvc.Name,
				UID: pvc.UID, ResourceVersion: pvc.ResourceVersion},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{
				Path: filepath.Join(base, volumeDirName(name, pvc.Namespace, pvc.Name)), Type: &dirType}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}},
			}}}},
		},
	}
}

func (c *Controller) provision(ctx context.Context, pvc *corev1.PersistentVolumeClaim, base string, policy *corev1.PersistentVolumeReclaimPolicy) error {
	if base == "" {
		return fmt.Errorf("storage class %s has no path parameter", storageClassOf(pvc))
	}
	pv := Volume(pvc, base, pvc.Annotations[annSelectedNode], policy)
	_, err := c.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	if err == nil {
		klog.InfoS("local-path: provisioned", "pvc", klog.KObj(pvc), "pv", pv.Name, "path", pv.Spec.HostPath.Path)
	}
	return err
}

func nodeOf(pv *corev1.PersistentVolume) string {
	if pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
		return ""
	}
	for _, t := range pv.Spec.NodeAffinity.Required.NodeSelectorTerms {
		for _, e := range t.MatchExpressions {
			if e.Key == corev1.LabelHostname && len(e.Values) == 1 {
				return e.Values[0]
			}
		}
	}
	return ""
}
