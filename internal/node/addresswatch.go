package node

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// AddressWatch follows the node's address when none was given
// (--node-ip, and for a server --advertise-address): once the
// default-route interface settles on another IPv4 address (a DHCP lease
// renewed with a new one, a device moved to another network), it fails
// with lifecycle.ErrRestart. shoal then stops its components (pods keep
// running) and starts again: the node re-claims its name with the new IP,
// gets certificates naming it, and the kubelet, flannel and the tunnel
// start over on it.
type AddressWatch struct {
	lifecycle.Task
	current  string
	lookup   func() (net.IP, error)
	interval time.Duration
}

// addressPoll is how often the watch reads the routing table: a read of
// /proc/net/route and of one interface's addresses.
const addressPoll = 2 * time.Second

// NewAddressWatch watches, through lookup (config.DefaultRouteIP), for an
// address other than current.
// The runner reports its error, which names both addresses.
func NewAddressWatch(current string, lookup func() (net.IP, error)) *AddressWatch {
	return &AddressWatch{current: current, lookup: lookup, interval: addressPoll}
}

// Name names the component.
func (w *AddressWatch) Name() string { return "node address watch" }

// Start starts polling.
func (w *AddressWatch) Start(ctx context.Context) error { return w.Go(ctx, w.run) }

// Ready returns at once: the watch serves from its start.
func (w *AddressWatch) Ready(context.Context) error { return nil }

// Stop stops polling.
func (w *AddressWatch) Stop(ctx context.Context) error { return w.Halt(ctx) }

// run returns ErrRestart once the same new address was read on two polls
// in a row: an address being replaced (old one deleted, default route
// gone, new one added, route back) is not acted on half-way.
func (w *AddressWatch) run(ctx context.Context) error {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	candidate := ""
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		ip, err := w.lookup()
		seen := ""
		if err == nil {
			seen = ip.String()
		}
		switch {
		case seen == "" || seen == w.current:
			candidate = ""
		case seen != candidate:
			candidate = seen
		default:
			return fmt.Errorf("node address changed from %s to %s: %w", w.current, seen, lifecycle.ErrRestart)
		}
	}
}
