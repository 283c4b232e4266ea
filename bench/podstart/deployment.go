package main

import (
	"context"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// runDeployment creates one Deployment of n replicas (what `kubectl create
// deployment --replicas=n` does). A pod's start is when the watch first
// sees it (its ReplicaSet created it), its end when the watch sees it
// Ready; pods/min is n over the time from the Deployment's Create call to
// the last pod Ready — what `kubectl rollout status` waits for.
func runDeployment(kubeconfig, ns, image string, n int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	labels := map[string]string{"bench": "podstart-deployment"}
	w, err := c.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: "bench=podstart-deployment"})
	if err != nil {
		return err
	}
	defer w.Stop()
	replicas, zero := int32(n), int64(0)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "podstart", Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{TerminationGracePeriodSeconds: &zero, Containers: []corev1.Container{{Name: "c", Image: image,
					Env: []corev1.EnvVar{{Name: "DRAIN_DELAY", Value: "0s"}}}}}}},
	}
	start := time.Now()
	if _, err := c.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{}); err != nil {
		return err
	}
	seen, ready := map[string]time.Time{}, map[string]time.Time{}
	err = untilReady(ctx, w, n, func() int { return len(ready) }, func(p *corev1.Pod) {
		if _, ok := seen[p.Name]; !ok {
			seen[p.Name] = time.Now()
		}
		if _, ok := ready[p.Name]; !ok && isReady(p) {
			ready[p.Name] = time.Now()
		}
	})
	if err != nil {
		return err
	}
	last := start
	var lat []float64
	for name, r := range ready {
		lat = append(lat, r.Sub(seen[name]).Seconds())
		if r.After(last) {
			last = r
		}
	}
	printFigures(lat, n, last.Sub(start), fmt.Sprintf("a Deployment of %d", n))
	return c.AppsV1().Deployments(ns).Delete(context.Background(), "podstart", metav1.DeleteOptions{})
}
