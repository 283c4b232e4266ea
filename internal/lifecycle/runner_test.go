package lifecycle

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is a component whose run function and readiness are scripted.
type fake struct {
	Task
	name    string
	ready   chan struct{}
	failErr error
	log     *[]string
	mu      *sync.Mutex
}

func newFake(name string, log *[]string, mu *sync.Mutex) *fake {
	return &fake{name: name, ready: make(chan struct{}), log: log, mu: mu}
}

func (f *fake) Name() string { return f.name }
func (f *fake) record(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	*f.log = append(*f.log, s)
}
func (f *fake) Start(ctx context.Context) error {
	f.record("start " + f.name)
	return f.Go(ctx, func(ctx context.Context) error {
		if f.failErr != nil {
			return f.failErr
		}
		close(f.ready)
		<-ctx.Done()
		return nil
	})
}
func (f *fake) Ready(ctx context.Context) error {
	select {
	case <-f.ready:
		return nil
	case <-f.Done():
		return errors.New("ended")
	case <-ctx.Done():
		return ctx.Err()
	}
}
func (f *fake) Stop(ctx context.Context) error {
	state := "running"
	select {
	case <-f.Done():
		state = "already ended"
	default:
	}
	f.record("stop " + f.name + " (" + state + ")")
	return f.Halt(ctx)
}

func TestRunnerStartsInOrderAndStopsInReverse(t *testing.T) {
	var log []string
	var mu sync.Mutex
	a, b := newFake("a", &log, &mu), newFake("b", &log, &mu)
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{Components: []Component{a, b}}
	err := r.Run(ctx, func() error { cancel(); return nil })
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := strings.Join(log, ",")
	// Cancelling Run's context must not end the components by itself:
	// each is still running when its own Stop comes, in reverse order.
	if want := "start a,start b,stop b (running),stop a (running)"; got != want {
		t.Fatalf("order = %s, want %s", got, want)
	}
}

func TestRunnerFailsWhenComponentDiesBeforeReady(t *testing.T) {
	var log []string
	var mu sync.Mutex
	a, b := newFake("a", &log, &mu), newFake("b", &log, &mu)
	b.failErr = errors.New("port in use")
	r := &Runner{Components: []Component{a, b}, ReadyTimeout: 5 * time.Second}
	err := r.Run(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "port in use") || !strings.Contains(err.Error(), "b") {
		t.Fatalf("err = %v, want b's failure", err)
	}
	if got := strings.Join(log, ","); got != "start a,start b,stop b (already ended),stop a (running)" {
		t.Fatalf("order = %s", got)
	}
}

func TestRunnerReturnsWhenRunningComponentEnds(t *testing.T) {
	var log []string
	var mu sync.Mutex
	a := newFake("a", &log, &mu)
	r := &Runner{Components: []Component{a}}
	err := r.Run(context.Background(), func() error {
		// Simulate the component's work ending by itself.
		a.cancel()
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "a: exited unexpectedly") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunnerSignalDuringStartIsACleanStop(t *testing.T) {
	var log []string
	var mu sync.Mutex
	a, slow := newFake("a", &log, &mu), newFake("slow", &log, &mu)
	ctx, cancel := context.WithCancel(context.Background())
	waiting := &neverReady{fake: slow, entered: make(chan struct{})}
	r := &Runner{Components: []Component{a, waiting}}
	go func() {
		<-waiting.entered // the runner is waiting for "slow": now the signal comes
		cancel()
	}()
	if err := r.Run(ctx, func() error { t.Error("onReady called"); return nil }); err != nil {
		t.Fatalf("Run = %v, want nil for a stop asked during start", err)
	}
	if got := strings.Join(log, ","); got != "start a,start slow,stop slow (running),stop a (running)" {
		t.Fatalf("order = %s", got)
	}
}

// neverReady wraps a fake whose Ready blocks until ctx ends.
type neverReady struct {
	*fake
	entered chan struct{}
}

func (n *neverReady) Ready(ctx context.Context) error {
	close(n.entered)
	<-ctx.Done()
	return ctx.Err()
}
