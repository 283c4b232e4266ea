package datastore

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// defragmenter returns an etcd member's free pages to the file system.
// Compaction frees pages inside bbolt's file, which reuses them but never
// shrinks; Defragment rewrites the file, blocking the member's reads and
// writes meanwhile, so it runs only when the file is mostly free space:
// after a burst of writes has been compacted, not during steady churn,
// where the free pages are reused.
type defragmenter struct {
	client Client
	every  time.Duration
	// minFree is the free space below which the file is left as it is.
	minFree int64
	report  func(format string, args ...any)
}

func (e *Etcd) defragmenter(every time.Duration) *defragmenter {
	return &defragmenter{client: e.Client(), every: every, minFree: 16 << 20, report: e.report}
}

// run checks every d.every until ctx ends.
func (d *defragmenter) run(ctx context.Context) {
	cli, err := NewEtcdClient(ctx, d.client)
	if err != nil {
		d.report("datastore: defragmenter: %v", err)
		return
	}
	defer cli.Close()
	t := time.NewTicker(d.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.step(ctx, cli)
		}
	}
}

// worth is the policy: at least minFree free, and more free than in use.
func (d *defragmenter) worth(size, inUse int64) bool {
	free := size - inUse
	return free >= d.minFree && free > inUse
}

func (d *defragmenter) step(ctx context.Context, cli *clientv3.Client) {
	ep := d.client.Endpoints[0]
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := cli.Status(sctx, ep)
	if err != nil || !d.worth(st.DbSize, st.DbSizeInUse) {
		return
	}
	start := time.Now()
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if _, err := cli.Defragment(dctx, ep); err != nil {
		d.report("datastore: defragment: %v", err)
		return
	}
	took := time.Since(start)
	after := st.DbSizeInUse
	if st2, err := cli.Status(sctx, ep); err == nil {
		after = st2.DbSize
	}
	d.report("datastore: defragmented in %s, returned %.1f MB to the file system (file %.1f MB)",
		took.Round(time.Millisecond), float64(st.DbSize-after)/1e6, float64(after)/1e6)
}
