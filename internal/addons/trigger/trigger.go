// Package trigger coalesces informer events into "something changed"
// signals for controllers that reconcile everything on each change, which
// is the simplest correct design at edge-cluster scale.
package trigger

import "k8s.io/client-go/tools/cache"

// Trigger holds at most one pending signal.
type Trigger chan struct{}

// New returns an empty trigger.
func New() Trigger { return make(Trigger, 1) }

// Poke records a change; it never blocks.
func (t Trigger) Poke() {
	select {
	case t <- struct{}{}:
	default:
	}
}

// Handler pokes t on every add, update and delete.
func (t Trigger) Handler() cache.ResourceEventHandlerFuncs {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { t.Poke() },
		UpdateFunc: func(any, any) { t.Poke() },
		DeleteFunc: func(any) { t.Poke() },
	}
}
