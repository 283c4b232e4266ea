package gitops

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"
)

// The cluster's labels live in the cluster: kube-system/shoal-cluster,
// key "labels" (a JSON object), written from --cluster-label at start.
const (
	clusterConfigMap = "shoal-cluster"
	clusterLabelsKey = "labels"
)

// storeLabels writes the cluster's labels.
func storeLabels(ctx context.Context, c kubernetes.Interface, l map[string]string) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	cms := c.CoreV1().ConfigMaps(metav1.NamespaceSystem)
	cm, err := cms.Get(ctx, clusterConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: clusterConfigMap},
			Data: map[string]string{clusterLabelsKey: string(b)}}, metav1.CreateOptions{})
		return err
	}
	if err != nil || cm.Data[clusterLabelsKey] == string(b) {
		return err
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data[clusterLabelsKey] = string(b)
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	return err
}

// clusterLabels reads them back.
func clusterLabels(ctx context.Context, c kubernetes.Interface) (map[string]string, error) {
	cm, err := c.CoreV1().ConfigMaps(metav1.NamespaceSystem).Get(ctx, clusterConfigMap, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	l := map[string]string{}
	if s := cm.Data[clusterLabelsKey]; s != "" {
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// match is the first target whose selector matches l (ok false: none),
// with its name set. No targets match every cluster.
func match(targets []Target, l map[string]string) (t Target, ok bool, err error) {
	if len(targets) == 0 {
		return Target{Name: "default"}, true, nil
	}
	for i, t := range targets {
		sel := labels.Everything()
		if t.ClusterSelector != nil {
			if sel, err = metav1.LabelSelectorAsSelector(t.ClusterSelector); err != nil {
				return Target{}, false, fmt.Errorf("targets[%d].clusterSelector: %w", i, err)
			}
		}
		if sel.Matches(labels.Set(l)) {
			if t.Name == "" {
				t.Name = fmt.Sprintf("target-%d", i)
			}
			return t, true, nil
		}
	}
	return Target{}, false, nil
}
