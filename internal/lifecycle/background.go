package lifecycle

import (
	"context"
	"strings"
)

// Background starts its components in order, as a Runner does, while the
// components after it in the outer list start too: its own Ready returns at
// once, and the component Await returns, placed later in the outer list,
// holds that list back until every one of them is ready. Parts that need
// nothing from the parts between them (containerd and the image import,
// which need no apiserver) then use the time those parts spend waiting.
// Background fails when one of its components does, and its Stop stops
// them in reverse order, so it belongs before whatever depends on them.
type Background struct {
	Task
	Components []Component
	Report     Reporter
	ready      chan struct{}
}

// Name lists the components.
func (b *Background) Name() string {
	names := make([]string, len(b.Components))
	for i, c := range b.Components {
		names[i] = c.Name()
	}
	return strings.Join(names, " and ")
}

// Start starts the components in the background.
func (b *Background) Start(ctx context.Context) error {
	b.ready = make(chan struct{})
	inner := &Runner{Components: b.Components, Report: b.Report}
	return b.Go(ctx, func(ctx context.Context) error {
		return inner.Run(ctx, func() error { close(b.ready); return nil })
	})
}

// Ready does not wait: Await does.
func (b *Background) Ready(context.Context) error { return nil }

// Stop stops the components in reverse order.
func (b *Background) Stop(ctx context.Context) error { return b.Halt(ctx) }

// Await is the component that waits for b's components to be ready.
func (b *Background) Await() Component { return awaiting{b} }

type awaiting struct{ b *Background }

func (a awaiting) Name() string                    { return a.b.Name() }
func (a awaiting) Start(context.Context) error     { return nil }
func (a awaiting) Ready(ctx context.Context) error { return a.b.WaitFor(ctx, a.b.ready) }
func (a awaiting) Stop(context.Context) error      { return nil }
func (a awaiting) Done() <-chan struct{}           { return nil }
func (a awaiting) Err() error                      { return nil }
