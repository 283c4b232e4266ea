package certs

import (
	"context"
	"fmt"
	"time"

	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/pki"
)

// Renewal restarts shoal when a leaf certificate in Dirs comes within
// pki.RenewBefore of its expiry: the next start re-issues it (a server from
// its CAs, a node through the join protocol), for every component at once
// — what kubelet's certificate rotation does for the kubelet alone. Pods
// keep running across the restart; with RenewBefore at 90 days of a
// one-year certificate, that is once a year.
type Renewal struct {
	lifecycle.Task
	Dirs  []string
	Every time.Duration // how often to look (default 12 h)
	Now   func() time.Time
}

var _ lifecycle.Component = (*Renewal)(nil)

// Name implements lifecycle.Component.
func (r *Renewal) Name() string { return "certificate renewal" }

// Start implements lifecycle.Component. A failed start-time renewal (the
// server unreachable) is retried at the next look, not in a loop.
func (r *Renewal) Start(ctx context.Context) error {
	if r.Every == 0 {
		r.Every = 12 * time.Hour
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return r.Go(ctx, func(ctx context.Context) error {
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(r.Every):
			}
			if err := r.Due(); err != nil {
				return err
			}
		}
	})
}

// Due returns an error wrapping lifecycle.ErrRestart, naming the
// certificate, when one is due for renewal.
func (r *Renewal) Due() error {
	files, err := Inventory(r.Dirs...)
	if err != nil {
		return nil // a half-written file is the next start's business
	}
	for _, f := range files {
		if !f.IsCA && r.Now().Add(pki.RenewBefore).After(f.NotAfter) {
			return fmt.Errorf("certificate %s expires %s, re-issued at start: %w", f.Path, f.NotAfter.UTC().Format(time.DateOnly), lifecycle.ErrRestart)
		}
	}
	return nil
}

// Ready implements lifecycle.Component.
func (r *Renewal) Ready(context.Context) error { return nil }

// Stop implements lifecycle.Component.
func (r *Renewal) Stop(ctx context.Context) error { return r.Halt(ctx) }
