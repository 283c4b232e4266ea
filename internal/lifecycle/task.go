package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Task runs one function in a goroutine with its own cancelable context.
// Components embed it to get Start/Stop/Done/Err for free and only supply
// the run function and a readiness probe.
type Task struct {
	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	err     error
	stopped bool
}

// Go starts run in the background. It may be called once.
func (t *Task) Go(ctx context.Context, run func(ctx context.Context) error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done != nil {
		return errors.New("already started")
	}
	ctx, t.cancel = context.WithCancel(ctx)
	t.done = make(chan struct{})
	go func() {
		defer close(t.done)
		err := runRecovered(ctx, run)
		t.mu.Lock()
		defer t.mu.Unlock()
		if !t.stopped {
			if err == nil {
				err = errors.New("exited unexpectedly")
			}
			t.err = err
		}
	}()
	return nil
}

func runRecovered(ctx context.Context, run func(ctx context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return run(ctx)
}

// Halt cancels the task's context and waits for it to end or ctx to expire.
func (t *Task) Halt(ctx context.Context) error {
	t.mu.Lock()
	if t.done == nil {
		t.mu.Unlock()
		return nil
	}
	t.stopped = true
	t.cancel()
	done := t.done
	t.mu.Unlock()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("did not stop in time: %w", ctx.Err())
	}
}

// Done is closed once the task's function has returned.
func (t *Task) Done() <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done == nil {
		return nil
	}
	return t.done
}

// Err is why the task ended; nil while running or after Halt.
func (t *Task) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// WaitFor is a Ready helper: it waits for ready to be closed, returning
// early with the task's error if the task ends first, or ctx's.
func (t *Task) WaitFor(ctx context.Context, ready <-chan struct{}) error {
	select {
	case <-ready:
		return nil
	case <-t.Done():
		return t.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Tick runs fn at once, then every period, until ctx ends: the loop of
// a polling controller.
func (t *Task) Tick(ctx context.Context, period time.Duration, fn func(context.Context)) error {
	return t.Go(ctx, func(ctx context.Context) error {
		for {
			fn(ctx)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(period):
			}
		}
	})
}
