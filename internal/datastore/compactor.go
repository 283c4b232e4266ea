package datastore

import (
	"context"
	"fmt"
	"time"

	kineserver "github.com/k3s-io/kine/pkg/server"
)

// compactPolicy is when kine's history is trimmed. Kine's own timer (every
// 5 minutes, never the newest 1000 revisions) lets a SQLite file grow by
// everything written in 5 minutes plus 1000 revisions, and under a steady
// write load never shrink again (issue 22: 940 MB for 1.3 MB of live data).
// shoal turns that timer off and asks for compaction itself: by time, keeping
// Retain of history (what a lagging watcher may resume from), and by bytes,
// sooner and keeping only BurstRetain when the database grew by BurstBytes
// since the last pass.
type compactPolicy struct {
	Tick  time.Duration // how often the revision and size are sampled
	Every time.Duration // the most time between passes while revisions are written
	// MinRevisions is how many revisions a pass on time waits for, unless
	// IdleEvery has passed: a trickle of writes (an idle node renews its
	// Lease every 10 s) is compacted every IdleEvery, not every Every, and
	// each pass is a write of its own (issue 23, flash wear).
	MinRevisions int64
	IdleEvery    time.Duration
	Retain       time.Duration // history kept by a pass on time
	BurstBytes   int64         // growth in use since the last pass that compacts early
	BurstRetain  time.Duration // history kept by a pass on bytes
	// Slack is the least free space a SQLite file keeps for the writes to
	// come; it keeps more, as much as the data in use grew between the last
	// two passes: pages the next writes would take back from the file
	// system at once are not worth returning (under 230 writes/s of 64 KB,
	// returning them all took 2 s of the write lock per pass).
	Slack int64
}

// defaultCompactPolicy keeps 30 s to 1 min of history: 25 to 50 MB at the
// issue's churn of 6.4 writes/s of 64 KB values (kine stores each value
// twice: value and old_value).
func defaultCompactPolicy() compactPolicy {
	return compactPolicy{
		Tick:         5 * time.Second,
		Every:        30 * time.Second,
		MinRevisions: minRetain, // fewer would leave kine next to nothing to delete
		IdleEvery:    10 * time.Minute,
		Retain:       30 * time.Second,
		BurstBytes:   32 << 20,
		BurstRetain:  5 * time.Second,
		Slack:        8 << 20,
	}
}

// revSample is the datastore's revision and bytes in use at one moment.
type revSample struct {
	At    time.Time
	Rev   int64
	InUse int64
}

// compactState is what the policy remembers between samples.
type compactState struct {
	samples   []revSample // oldest first
	lastPass  time.Time
	lastRev   int64 // the revision the last pass compacted to
	revAtPass int64 // the newest revision when the last pass ran
	lastInUse int64 // bytes in use after the last pass
	settled   bool  // reclaimed down to Slack since the last pass
}

// next records s and returns the revision to compact to, or 0 for no pass
// now. A pass on time compacts to the newest revision sampled at least
// Retain ago; one on bytes, to the newest sampled at least BurstRetain ago.
func (p compactPolicy) next(st *compactState, s revSample) int64 {
	st.samples = append(st.samples, s)
	if st.lastPass.IsZero() {
		st.lastPass, st.lastInUse, st.revAtPass = s.At, s.InUse, s.Rev
	}
	since := s.At.Sub(st.lastPass)
	retain := time.Duration(-1)
	switch {
	case s.InUse-st.lastInUse >= p.BurstBytes:
		retain = p.BurstRetain
	case since >= p.Every && (s.Rev-st.revAtPass >= p.MinRevisions || since >= p.IdleEvery):
		retain = p.Retain
	}
	var target int64
	keep := st.samples[:0]
	for i, old := range st.samples {
		age := s.At.Sub(old.At)
		if retain >= 0 && age >= retain {
			target = old.Rev
		}
		// Samples older than Retain serve no pass to come but the newest.
		if age < p.Retain+p.Tick || i == len(st.samples)-1 {
			keep = append(keep, old)
		}
	}
	st.samples = keep
	if retain < 0 || target <= st.lastRev {
		return 0
	}
	return target
}

// passed records a pass, when the newest revision was current, to rev
// that left inUse bytes in use.
func (st *compactState) passed(at time.Time, current, rev, inUse int64) {
	st.lastPass, st.revAtPass, st.lastRev, st.lastInUse, st.settled = at, current, rev, inUse, false
}

// compactor runs the policy against a kine backend. After each pass,
// reclaim (SQLite: freed pages returned to the file system, the WAL
// truncated) runs if set; report hears of passes that returned space.
type compactor struct {
	backend kineserver.Backend
	policy  compactPolicy
	reclaim func(ctx context.Context, keep int64) (reclaimed, size int64, err error)
	report  func(format string, args ...any)
}

// run samples until ctx ends.
func (c *compactor) run(ctx context.Context) {
	t := time.NewTicker(c.policy.Tick)
	defer t.Stop()
	var st compactState
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.step(ctx, &st, now)
		}
	}
}

// step samples once and compacts if the policy says so. With nothing to
// compact for Every since the last pass, the file keeps only Slack free.
func (c *compactor) step(ctx context.Context, st *compactState, now time.Time) {
	rev, err := c.backend.CurrentRevision(ctx)
	if err != nil {
		return
	}
	inUse, err := c.backend.DbSize(ctx)
	if err != nil {
		return
	}
	target := c.policy.next(st, revSample{At: now, Rev: rev, InUse: inUse})
	if target == 0 {
		if !st.settled && now.Sub(st.lastPass) >= c.policy.Every {
			st.settled = true
			c.reclaimAfter(ctx, "no writes since the last pass", c.policy.Slack, inUse)
		}
		return
	}
	start := time.Now()
	// kine compacts synchronously when its own timer is off; it keeps its
	// CompactMinRetain newest revisions whatever the target.
	if _, err := c.backend.Compact(ctx, target); err != nil && err != kineserver.ErrCompacted {
		c.report("datastore: compact to revision %d: %v", target, err)
		return
	}
	compacted := time.Since(start)
	grew := inUse - st.lastInUse
	if inUse, err = c.backend.DbSize(ctx); err != nil {
		return
	}
	st.passed(now, rev, target, inUse)
	c.reclaimAfter(ctx, fmt.Sprintf("compacted up to revision %d in %s", target, compacted.Round(time.Millisecond)),
		max(c.policy.Slack, grew), inUse)
}

// reclaimAfter returns free space beyond keep to the file system, if the
// datastore has a file, and reports it with what came before.
func (c *compactor) reclaimAfter(ctx context.Context, what string, keep, inUse int64) {
	if c.reclaim == nil {
		return
	}
	start := time.Now()
	reclaimed, size, err := c.reclaim(ctx, keep)
	if err != nil {
		c.report("datastore: reclaim free pages: %v", err)
		return
	}
	if reclaimed > 0 {
		c.report("datastore: %s, returned %.1f MB to the file system in %s (file %.1f MB, %.1f MB in use)",
			what, float64(reclaimed)/1e6, time.Since(start).Round(time.Millisecond), float64(size)/1e6, float64(inUse)/1e6)
	}
}
