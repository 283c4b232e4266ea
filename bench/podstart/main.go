// Command podstart measures pod start latency on a running shoal: it
// creates N pods of an image at once and records, per pod, the time from
// its Create call returning to the watch seeing it Ready. Prints the median,
// p95, max and the pods/min throughput. With -clients C, C clients each
// create a pod, wait for it to be Ready, and create the next, until N
// pods (the concurrent-client throughput of the published
// lightweight-distribution comparisons).
//
//	go run ./bench/podstart -kubeconfig KC -n 30 -image localhost/shoal-echo:v1
//	go run ./bench/podstart -kubeconfig KC -n 48 -clients 12
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
	n := flag.Int("n", 30, "pods to start")
	image := flag.String("image", "localhost/shoal-echo:v1", "image (must be on the node)")
	ns := flag.String("namespace", "default", "namespace")
	clients := flag.Int("clients", 0, "concurrent clients creating pods one after another (0: all at once)")
	deployment := flag.Bool("deployment", false, "one Deployment of n replicas instead of bare pods (as `kubectl create deployment --replicas`)")
	flag.Parse()
	run := run
	if *deployment {
		run = func(kc, ns, image string, n, _ int) error { return runDeployment(kc, ns, image, n) }
	}
	if err := run(*kc, *ns, *image, *n, *clients); err != nil {
		fmt.Fprintln(os.Stderr, "podstart:", err)
		os.Exit(1)
	}
}

func run(kubeconfig, ns, image string, n, clients int) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.QPS, cfg.Burst = 100, 200
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sel := "bench=podstart"
	w, err := c.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return err
	}
	defer w.Stop()
	var mu sync.Mutex
	created := map[string]time.Time{}
	ready := map[string]time.Time{}
	start := time.Now()
	readyCh := map[string]chan struct{}{}
	for i := 0; i < n; i++ {
		readyCh[fmt.Sprintf("podstart-c%d-%d", clients, i)] = make(chan struct{})
	}
	create := func(i int) {
		name := fmt.Sprintf("podstart-c%d-%d", clients, i)
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"bench": "podstart"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image,
				Env: []corev1.EnvVar{{Name: "DRAIN_DELAY", Value: "0s"}}}}, TerminationGracePeriodSeconds: new(int64)},
		}
		if _, err := c.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			fmt.Fprintln(os.Stderr, "create:", err)
			return
		}
		mu.Lock()
		created[name] = time.Now()
		mu.Unlock()
	}
	var wg sync.WaitGroup
	if clients <= 0 {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) { defer wg.Done(); create(i) }(i)
		}
	} else {
		next := make(chan int, n)
		for i := 0; i < n; i++ {
			next <- i
		}
		close(next)
		for k := 0; k < clients; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					create(i)
					select {
					case <-readyCh[fmt.Sprintf("podstart-c%d-%d", clients, i)]:
					case <-ctx.Done():
						return
					}
				}
			}()
		}
	}
	readyCount := func() int { mu.Lock(); defer mu.Unlock(); return len(ready) }
	if err := untilReady(ctx, w, n, readyCount, func(p *corev1.Pod) {
		if !isReady(p) {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if _, seen := ready[p.Name]; !seen {
			ready[p.Name] = time.Now()
			if ch := readyCh[p.Name]; ch != nil {
				close(ch)
			}
		}
	}); err != nil {
		return err
	}
	wg.Wait()
	var lat []float64
	last := start
	mu.Lock()
	defer mu.Unlock()
	for name, r := range ready {
		lat = append(lat, r.Sub(created[name]).Seconds())
		if r.After(last) {
			last = r
		}
	}
	how := "all created at once"
	if clients > 0 {
		how = fmt.Sprintf("%d clients", clients)
	}
	printFigures(lat, n, last.Sub(start), how)
	zero := int64(0)
	return c.CoreV1().Pods(ns).DeleteCollection(context.Background(), metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{LabelSelector: sel})
}

// printFigures prints the latencies' median, p95 and max, and n pods
// over took as pods/min.
func printFigures(lat []float64, n int, took time.Duration, how string) {
	sort.Float64s(lat)
	q := func(p float64) float64 { return lat[int(p*float64(len(lat)-1)+0.5)] }
	fmt.Printf("%-44s %.2f s\n", fmt.Sprintf("pod start latency, median of %d", n), q(0.5))
	fmt.Printf("%-44s %.2f s\n", "pod start latency, p95", q(0.95))
	fmt.Printf("%-44s %.2f s\n", "pod start latency, max", lat[len(lat)-1])
	fmt.Printf("%-44s %.0f\n", "pods/min ("+how+")", float64(n)/took.Minutes())
}

// untilReady hands every pod event of w (deletions aside) to seen until
// ready reports n pods; it fails when the watch closes or ctx ends first.
func untilReady(ctx context.Context, w watch.Interface, n int, ready func() int, seen func(*corev1.Pod)) error {
	for ready() < n {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return fmt.Errorf("watch closed with %d/%d ready", ready(), n)
			}
			if p, isPod := ev.Object.(*corev1.Pod); isPod && ev.Type != watch.Deleted {
				seen(p)
			}
		case <-ctx.Done():
			return fmt.Errorf("only %d/%d pods ready", ready(), n)
		}
	}
	return nil
}

func isReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
