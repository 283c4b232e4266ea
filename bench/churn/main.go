// Command churn rewrites ConfigMaps from -workers clients at -rate writes
// a second in all, for -for: the write load that makes a datastore grow
// (issue 22). Each worker owns -maps ConfigMaps of -size bytes and
// replaces their data in turn.
// Every -every it prints one line: seconds since start, writes in the
// window, p50 and p99 write latency in the window. At the end: totals.
//
//	go run ./bench/churn -kubeconfig KC -for 240s
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func main() {
	kc := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	workers := flag.Int("workers", 4, "concurrent clients")
	maps := flag.Int("maps", 5, "ConfigMaps per worker")
	size := flag.Int("size", 64<<10, "bytes of data per ConfigMap")
	total := flag.Duration("for", 240*time.Second, "how long to write")
	every := flag.Duration("every", 10*time.Second, "report period")
	rate := flag.Float64("rate", 6.4, "writes per second in all (0: as fast as the clients go); 6.4 is kubectl apply in a loop from 4 shells")
	trace := flag.String("trace", "", "file to write each write's start (Unix seconds) and latency (ms) to")
	flag.Parse()
	rc, err := clientcmd.BuildConfigFromFlags("", *kc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "churn:", err)
		os.Exit(1)
	}
	rc.QPS, rc.Burst = 1000, 1000
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		fmt.Fprintln(os.Stderr, "churn:", err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *total)
	defer cancel()
	var mu sync.Mutex
	var window, all []time.Duration
	var starts []time.Time
	var failed int
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var pace <-chan time.Time
			if *rate > 0 {
				// Each client starts a share of the period after the one
				// before: the writes are spread evenly, not in bursts.
				period := time.Duration(float64(*workers) / *rate * float64(time.Second))
				select {
				case <-ctx.Done():
					return
				case <-time.After(period * time.Duration(w) / time.Duration(*workers)):
				}
				t := time.NewTicker(period)
				defer t.Stop()
				pace = t.C
			}
			for i := 0; ctx.Err() == nil; i++ {
				if pace != nil {
					select {
					case <-ctx.Done():
						return
					case <-pace:
					}
				}
				name := fmt.Sprintf("churn-%d-%d", w, i%*maps)
				t0 := time.Now()
				err := write(ctx, client, name, *size)
				d := time.Since(t0)
				mu.Lock()
				if err != nil && ctx.Err() == nil {
					failed++
				} else if err == nil {
					window, all, starts = append(window, d), append(all, d), append(starts, t0)
				}
				mu.Unlock()
			}
		}(w)
	}
	start := time.Now()
	tick := time.NewTicker(*every)
	defer tick.Stop()
	fmt.Println("t_s\twrites\tp50_ms\tp99_ms")
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
			mu.Lock()
			w := window
			window = nil
			mu.Unlock()
			fmt.Printf("%.0f\t%d\t%.0f\t%.0f\n", time.Since(start).Seconds(), len(w), ms(pct(w, 50)), ms(pct(w, 99)))
		}
	}
	wg.Wait()
	if *trace != "" {
		if err := writeTrace(*trace, starts, all); err != nil {
			fmt.Fprintln(os.Stderr, "churn:", err)
			os.Exit(1)
		}
	}
	fmt.Printf("writes  %d\nfailed  %d\nwrites/s  %.1f\np50  %.0f ms\np99  %.0f ms\n", len(all), failed,
		float64(len(all))/total.Seconds(), ms(pct(all, 50)), ms(pct(all, 99)))
}

// write replaces (or creates) ConfigMap name with size bytes of new data.
func write(ctx context.Context, c kubernetes.Interface, name string, size int) error {
	raw := make([]byte, size*3/4)
	_, _ = rand.Read(raw)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Data: map[string]string{"blob": base64.StdEncoding.EncodeToString(raw)}}
	_, err := c.CoreV1().ConfigMaps("default").Update(ctx, cm, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		_, err = c.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{})
	}
	return err
}

// writeTrace writes one line per write: its start and its latency.
func writeTrace(path string, starts []time.Time, d []time.Duration) error {
	var b strings.Builder
	for i := range starts {
		fmt.Fprintf(&b, "%.3f %.1f\n", float64(starts[i].UnixMilli())/1000, ms(d[i]))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*p/100]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
