package snapshot

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// ScheduledPrefix names the snapshots the schedule takes (and prunes).
const ScheduledPrefix = "etcd-snapshot"

// Scheduler takes snapshots on a cron schedule and keeps the newest
// Retention of them.
type Scheduler struct {
	Source    Source
	Dir, Node string
	Spec      string
	Retention int
	Report    func(string, ...any)

	cron           *cron.Cron
	lifecycle.Task // waits for the schedule's end
}

var _ lifecycle.Component = (*Scheduler)(nil)

// Name implements lifecycle.Component.
func (s *Scheduler) Name() string { return "snapshot schedule" }

// Start arms the schedule.
func (s *Scheduler) Start(ctx context.Context) error {
	s.cron = cron.New()
	_, err := s.cron.AddFunc(s.Spec, func() { s.take(ctx) })
	if err != nil {
		return fmt.Errorf("--etcd-snapshot-schedule-cron %q: %w", s.Spec, err)
	}
	s.cron.Start()
	return s.Go(ctx, func(ctx context.Context) error {
		<-ctx.Done()
		<-s.cron.Stop().Done() // a running snapshot finishes
		return nil
	})
}

func (s *Scheduler) take(ctx context.Context) {
	path, err := Save(ctx, s.Source, s.Dir, ScheduledPrefix+"-"+s.Node, time.Now())
	if err != nil {
		s.Report("scheduled snapshot failed: %v", err)
		return
	}
	deleted, err := Prune(s.Dir, ScheduledPrefix+"-", s.Retention)
	if err != nil {
		s.Report("snapshot retention: %v", err)
	}
	if fi, err := os.Stat(path); err == nil {
		s.Report("snapshot %s saved (%d bytes), %d old scheduled snapshot(s) pruned", path, fi.Size(), len(deleted))
	}
}

// Ready implements lifecycle.Component.
func (s *Scheduler) Ready(context.Context) error { return nil }

// Stop waits for a running snapshot to finish.
func (s *Scheduler) Stop(ctx context.Context) error { return s.Halt(ctx) }
