package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// gated is a fake that becomes ready only once its gate is opened.
type gated struct {
	*fake
	gate chan struct{}
}

func (g gated) Start(ctx context.Context) error {
	g.record("start " + g.name)
	return g.Go(ctx, func(ctx context.Context) error {
		select {
		case <-g.gate:
		case <-ctx.Done():
			return nil
		}
		if g.failErr != nil {
			return g.failErr
		}
		close(g.ready)
		<-ctx.Done()
		return nil
	})
}

// openLater opens gate a little after after is closed: time enough for
// a list that does not wait to start what comes next.
func openLater(after <-chan struct{}, gate chan struct{}) {
	go func() {
		<-after
		time.Sleep(20 * time.Millisecond)
		close(gate)
	}()
}

// The list goes on past a Background whose component is not ready yet,
// Await holds it back until it is, and Stop stops the background component
// after what was started after it.
func TestBackgroundStartsAlongsideAndAwaitHoldsTheList(t *testing.T) {
	var log []string
	var mu sync.Mutex
	slow := gated{newFake("slow", &log, &mu), make(chan struct{})}
	mid, last := newFake("mid", &log, &mu), newFake("last", &log, &mu)
	report := func(format string, args ...any) { mid.record(fmt.Sprintf(format, args...)) }
	bg := &Background{Components: []Component{slow}, Report: report}
	openLater(mid.ready, slow.gate)
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{Components: []Component{bg, mid, bg.Await(), last}}
	if err := r.Run(ctx, func() error { cancel(); return nil }); err != nil {
		t.Fatalf("Run: %v", err)
	}
	got := strings.Join(log, ",")
	if !regexp.MustCompile(`^start (slow,start mid|mid,start slow),slow ready \(\S+\),start last,stop last \(running\),stop mid \(running\),stop slow \(running\),slow stopped \(\S+\)$`).MatchString(got) {
		t.Fatalf("order = %s", got)
	}
}

// A background component that fails before it is ready fails the start at
// Await, with its error.
func TestBackgroundFailureFailsAwait(t *testing.T) {
	var log []string
	var mu sync.Mutex
	slow := gated{newFake("slow", &log, &mu), make(chan struct{})}
	slow.failErr = errors.New("no disk")
	started := make(chan struct{})
	close(started)
	openLater(started, slow.gate)
	bg := &Background{Components: []Component{slow}}
	r := &Runner{Components: []Component{bg, bg.Await(), newFake("last", &log, &mu)}}
	err := r.Run(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "no disk") {
		t.Fatalf("want the background component's error, got %v", err)
	}
	if strings.Contains(strings.Join(log, ","), "start last") {
		t.Fatalf("last started after the failure: %v", log)
	}
}
