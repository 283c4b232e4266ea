// Command apiprobe measures how responsive kube-apiserver stays while
// something else happens: it GETs one object every -every until it is
// interrupted (SIGINT/SIGTERM) or -for passes, then prints the count, the
// p50, p99 and max latency and the failures (a request that errors or
// takes longer than -timeout counts as failed, at the timeout).
//
//	go run ./bench/apiprobe -kubeconfig KC -every 200ms &  …  kill -INT $!
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kc := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	every := flag.Duration("every", 200*time.Millisecond, "time between requests")
	timeout := flag.Duration("timeout", 10*time.Second, "a request slower than this fails")
	total := flag.Duration("for", 0, "stop after this long (0: at SIGINT/SIGTERM)")
	flag.Parse()
	rc, err := clientcmd.BuildConfigFromFlags("", *kc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apiprobe:", err)
		os.Exit(1)
	}
	rc.QPS, rc.Burst = 1000, 1000 // the probe's own rate, not client-go's limiter
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "apiprobe:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *total > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *total)
		defer cancel()
	}
	lat, errs := probe(ctx, client, *every, *timeout)
	failed := 0
	for _, n := range errs {
		failed += n
	}
	report(lat, failed)
	for msg, n := range errs {
		fmt.Printf("error  %d× %s\n", n, msg)
	}
}

// probe GETs the kube-system Namespace every period until ctx ends: the
// latencies, and how often each error was seen.
func probe(ctx context.Context, client kubernetes.Interface, every, timeout time.Duration) ([]time.Duration, map[string]int) {
	var lat []time.Duration
	errs := map[string]int{}
	start := time.Now()
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(context.Background(), timeout)
		t0 := time.Now()
		_, err := client.CoreV1().Namespaces().Get(rctx, "kube-system", metav1.GetOptions{})
		d := time.Since(t0)
		cancel()
		if err != nil {
			errs[err.Error()]++
			d = max(d, timeout)
		}
		lat = append(lat, d)
		if d > time.Second {
			fmt.Printf("slow  %.3f s at +%.1f s\n", d.Seconds(), t0.Sub(start).Seconds())
		}
		select {
		case <-ctx.Done():
		case <-time.After(every):
		}
	}
	return lat, errs
}

func report(lat []time.Duration, failed int) {
	if len(lat) == 0 {
		fmt.Println("requests  0")
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return lat[min(len(lat)-1, int(p*float64(len(lat))))].Seconds() }
	fmt.Printf("requests  %d\n", len(lat))
	fmt.Printf("failed  %d\n", failed)
	fmt.Printf("latency p50  %.3f s\n", q(0.50))
	fmt.Printf("latency p99  %.3f s\n", q(0.99))
	fmt.Printf("latency max  %.3f s\n", lat[len(lat)-1].Seconds())
}
