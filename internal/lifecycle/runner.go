package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Reporter receives one line per state change; the CLI prints them.
type Reporter func(format string, args ...any)

// Runner starts components in list order, waiting for each to be ready
// before the next starts, and stops the started ones in reverse order.
type Runner struct {
	Components   []Component
	ReadyTimeout time.Duration // per component
	StopTimeout  time.Duration // per component
	Report       Reporter
}

// Run starts every component, calls onReady once all are ready, then blocks
// until ctx ends or a component fails. It always stops what it started.
func (r *Runner) Run(ctx context.Context, onReady func() error) error {
	started := make([]Component, 0, len(r.Components))
	defer func() { r.stopAll(started) }()

	// Components live until Stop, not until ctx ends: a signal must stop
	// them one by one in reverse order, not all at once.
	life := context.WithoutCancel(ctx)
	for _, c := range r.Components {
		t0 := time.Now()
		// An upstream component's final argv, after the user's values.
		if a, ok := c.(interface{ Argv() []string }); ok {
			r.report("running %s %s", c.Name(), strings.Join(a.Argv(), " "))
		}
		if err := c.Start(life); err != nil {
			return fmt.Errorf("start %s: %w", c.Name(), err)
		}
		started = append(started, c)
		if err := r.waitReady(ctx, c, started); err != nil {
			if ctx.Err() != nil {
				return nil // asked to stop while starting: a clean stop
			}
			return err
		}
		if _, bg := c.(*Background); bg {
			r.report("%s starting in the background", c.Name())
			continue
		}
		r.report("%s ready (%.2fs)", c.Name(), time.Since(t0).Seconds())
	}
	if onReady != nil {
		if err := onReady(); err != nil {
			return err
		}
	}
	return r.watch(ctx, started)
}

func (r *Runner) waitReady(ctx context.Context, c Component, started []Component) error {
	timeout := r.ReadyTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	readyErr := make(chan error, 1)
	go func() { readyErr <- c.Ready(rctx) }()
	// A component that dies while another waits for readiness must not
	// leave the wait hanging until the timeout.
	failed := failures(rctx, started)
	select {
	case err := <-readyErr:
		if err != nil {
			if c.Err() != nil {
				err = c.Err()
			}
			return fmt.Errorf("%s did not become ready: %w", c.Name(), err)
		}
		return nil
	case f := <-failed:
		return f
	}
}

// watch blocks until ctx ends (nil) or a component ends on its own (error).
func (r *Runner) watch(ctx context.Context, started []Component) error {
	select {
	case <-ctx.Done():
		return nil
	case f := <-failures(ctx, started):
		return f
	}
}

// failures delivers the first component that ends before ctx does.
func failures(ctx context.Context, cs []Component) <-chan error {
	out := make(chan error, 1)
	cases := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())}}
	for _, c := range cs {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c.Done())})
	}
	go func() {
		i, _, _ := reflect.Select(cases)
		if i == 0 {
			return
		}
		c := cs[i-1]
		err := c.Err()
		if err == nil {
			err = errors.New("stopped")
		}
		out <- fmt.Errorf("%s: %w", c.Name(), err)
	}()
	return out
}

func (r *Runner) stopAll(started []Component) {
	timeout := r.StopTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	for i := len(started) - 1; i >= 0; i-- {
		c := started[i]
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		t0 := time.Now()
		if err := c.Stop(ctx); err != nil {
			r.report("%s: stop: %v", c.Name(), err)
		} else {
			r.report("%s stopped (%.2fs)", c.Name(), time.Since(t0).Seconds())
		}
		cancel()
	}
}

func (r *Runner) report(format string, args ...any) {
	if r.Report != nil {
		r.Report(format, args...)
	}
}
