// Command datastore measures a running shoal's datastore path through the
// API: N ConfigMaps created one after another, each create's latency, and
// the latency from starting the create to a watch delivering its ADDED
// event. Prints p50/p99 of both, in milliseconds, on one line.
//
//	go run ./bench/datastore -kubeconfig KC -n 500 -label sqlite
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kc := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	n := flag.Int("n", 500, "ConfigMaps to create")
	label := flag.String("label", "datastore", "name of this run in the output")
	flag.Parse()
	if err := run(*kc, *label, *n); err != nil {
		fmt.Fprintln(os.Stderr, "datastore:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, label string, n int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 1000, 1000
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ns := fmt.Sprintf("bench-datastore-%d", time.Now().UnixNano())
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	defer func() {
		_ = client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	}()
	w, err := client.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	defer w.Stop()
	var mu sync.Mutex
	started := map[string]time.Time{}
	var toWatch []time.Duration
	seen := make(chan struct{})
	go func() {
		defer close(seen)
		for ev := range w.ResultChan() {
			if ev.Type != watch.Added {
				continue
			}
			name := ev.Object.(*corev1.ConfigMap).Name
			mu.Lock()
			if t, ok := started[name]; ok {
				toWatch = append(toWatch, time.Since(t))
			}
			done := len(toWatch) == n
			mu.Unlock()
			if done {
				return
			}
		}
	}()
	creates := make([]time.Duration, 0, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("cm-%05d", i)
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"k": "v"}}
		mu.Lock()
		started[name] = time.Now()
		mu.Unlock()
		t0 := time.Now()
		if _, err := client.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			return err
		}
		creates = append(creates, time.Since(t0))
	}
	select {
	case <-seen:
	case <-time.After(time.Minute):
		return fmt.Errorf("watch delivered %d of %d events", len(toWatch), n)
	}
	fmt.Printf("%-12s n=%d  create p50 %6.1f ms  p99 %6.1f ms   write→watch p50 %6.1f ms  p99 %6.1f ms\n",
		label, n, pct(creates, 50), pct(creates, 99), pct(toWatch, 50), pct(toWatch, 99))
	return nil
}

// pct is the p-th percentile in milliseconds.
func pct(d []time.Duration, p int) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return float64(s[i].Microseconds()) / 1000
}
