package integration

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// clientFor is a client-go clientset for s, reaching it at host:port
// (the kubeconfig names 127.0.0.1, which is only right in s's namespace).
func clientFor(t *testing.T, s *server, hostPort string) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", s.kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if hostPort != "" {
		cfg.Host = "https://" + hostPort
	}
	cfg.QPS, cfg.Burst = 1000, 1000
	cfg.Timeout = 5 * time.Second
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// writes is a client creating ConfigMaps w-0 … w-(n-1) one after another
// while servers are killed under it. A write counts only when the API
// answered it with success; a failed one is retried (AlreadyExists then
// means an earlier, unacknowledged attempt landed).
type writes struct {
	mu       sync.Mutex
	acked    []string
	failures int
	lastAck  time.Time
	maxGap   time.Duration // longest wait between two acknowledged writes
	reached  map[int]chan struct{}
	done     chan struct{}
}

// writeConfigMaps starts the writer in namespace ns (created first).
func writeConfigMaps(t *testing.T, cs kubernetes.Interface, ns string, n int) *writes {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	w := &writes{reached: map[int]chan struct{}{}, done: make(chan struct{}), lastAck: time.Now()}
	go w.run(cs, ns, n)
	return w
}

func (w *writes) run(cs kubernetes.Interface, ns string, n int) {
	defer close(w.done)
	deadline := time.Now().Add(5 * time.Minute)
	for i := 0; i < n && time.Now().Before(deadline); {
		name := fmt.Sprintf("w-%d", i)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name},
			Data: map[string]string{"i": fmt.Sprint(i)}}, metav1.CreateOptions{})
		cancel()
		switch {
		case err == nil:
			w.ack(name)
			i++
		case apierrors.IsAlreadyExists(err):
			i++
		default:
			w.mu.Lock()
			w.failures++
			w.mu.Unlock()
			time.Sleep(100 * time.Millisecond) // client back-off between retries
		}
	}
}

func (w *writes) ack(name string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	w.maxGap = max(w.maxGap, now.Sub(w.lastAck))
	w.lastAck = now
	w.acked = append(w.acked, name)
	if ch, ok := w.reached[len(w.acked)]; ok {
		close(ch)
	}
}

// after returns a channel closed once n writes are acknowledged.
func (w *writes) after(n int) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan struct{})
	if len(w.acked) >= n {
		close(ch)
	} else {
		w.reached[n] = ch
	}
	return ch
}

// wait waits for the writer to finish and returns the acknowledged names.
func (w *writes) wait(t *testing.T) []string {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(6 * time.Minute):
		t.Fatal("writer did not finish")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	t.Logf("writes: %d acknowledged, %d failed attempts, longest wait between acknowledgements %.1fs",
		len(w.acked), w.failures, w.maxGap.Seconds())
	return append([]string(nil), w.acked...)
}

// missing lists the acknowledged names absent from namespace ns.
func missing(t *testing.T, cs kubernetes.Interface, ns string, acked []string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	list, err := cs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, cm := range list.Items {
		have[cm.Name] = true
	}
	var out []string
	for _, name := range acked {
		if !have[name] {
			out = append(out, name)
		}
	}
	return out
}
