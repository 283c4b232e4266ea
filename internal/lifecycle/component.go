package lifecycle

import "context"

// Component is one long-running part of shoal.
//
//	          Start            Ready → nil
//	created ────────▶ running ─────────────▶ ready
//	                     │                     │
//	                     └──────── Stop ───────┴──▶ stopped
//
// Start launches the work and returns quickly; the work keeps running until
// Stop is called or it fails. Ready blocks until the component serves its
// purpose (or ctx ends). Done is closed when the work has ended, for any
// reason; Err then tells why (nil after a requested Stop).
type Component interface {
	Name() string
	Start(ctx context.Context) error
	Ready(ctx context.Context) error
	Stop(ctx context.Context) error
	Done() <-chan struct{}
	Err() error
}
