package datastore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

func TestCompactPolicy(t *testing.T) {
	p := compactPolicy{Tick: 5 * time.Second, Every: 30 * time.Second, Retain: 30 * time.Second,
		BurstBytes: 32 << 20, BurstRetain: 5 * time.Second}
	t0 := time.Unix(1000, 0)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	type step struct {
		sec   int
		rev   int64
		inUse int64
		want  int64
	}
	tests := []struct {
		name    string
		trickle bool // with MinRevisions 100 and IdleEvery 10 min
		steps   []step
	}{
		{"time: compacts to the revision sampled Retain ago, once Every has passed", false, []step{
			{0, 100, 1 << 20, 0}, {5, 110, 1 << 20, 0}, {25, 150, 1 << 20, 0},
			{30, 160, 1 << 20, 100}, {35, 170, 1 << 20, 0}, {55, 210, 1 << 20, 0},
			{60, 220, 1 << 20, 160},
		}},
		{"idle: the history from before the start, then nothing", false, []step{
			{0, 100, 1 << 20, 0}, {30, 100, 1 << 20, 100}, {60, 100, 1 << 20, 0}, {90, 100, 1 << 20, 0},
		}},
		{"trickle: under MinRevisions, a pass only every IdleEvery", true, []step{
			{0, 100, 1 << 20, 0}, {30, 104, 1 << 20, 0}, {300, 140, 1 << 20, 0},
			{570, 157, 1 << 20, 0}, {595, 159, 1 << 20, 0}, {600, 160, 1 << 20, 157}, {630, 164, 1 << 20, 0},
		}},
		{"trickle: MinRevisions written, a pass on time as usual", true, []step{
			{0, 100, 1 << 20, 0}, {25, 190, 1 << 20, 0}, {30, 199, 1 << 20, 0},
			{35, 201, 1 << 20, 100}, {65, 240, 1 << 20, 0},
		}},
		{"bytes: a burst compacts early, keeping BurstRetain", false, []step{
			{0, 100, 1 << 20, 0}, {5, 200, 20 << 20, 0}, {10, 300, 40 << 20, 200},
			{15, 310, 41 << 20, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := p
			if tt.trickle {
				p.MinRevisions, p.IdleEvery = 100, 10*time.Minute
			}
			var st compactState
			for _, s := range tt.steps {
				got := p.next(&st, revSample{At: at(s.sec), Rev: s.rev, InUse: s.inUse})
				if got != s.want {
					t.Fatalf("at %ds rev %d: compact to %d, want %d", s.sec, s.rev, got, s.want)
				}
				if got != 0 {
					st.passed(at(s.sec), s.rev, got, s.inUse)
				}
			}
			if len(st.samples) > int((p.Retain+p.Tick)/p.Tick)+1 {
				t.Fatalf("%d samples kept", len(st.samples))
			}
		})
	}
}

// TestSQLiteStaysSmallUnderChurn rewrites a few large keys in real kine over
// a real SQLite file, as kube-apiserver rewrites ConfigMaps: with shoal's
// compactor the file (and its WAL) goes back near the live data once the
// writes stop, the values stay readable and the file is in incremental
// auto-vacuum mode.
func TestSQLiteStaysSmallUnderChurn(t *testing.T) {
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "db", "state.db")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := NewKine(dbFile, filepath.Join(dir, "kine.sock"))
	var reports []string
	s.Report = func(f string, a ...any) { reports = append(reports, fmt.Sprintf(f, a...)) }
	s.Compaction = &compactPolicy{Tick: 100 * time.Millisecond, Every: 300 * time.Millisecond,
		BurstBytes: 1 << 40, Slack: 1 << 20}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop(ctx)
	if err := s.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint()}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	value := strings.Repeat("x", 32<<10)
	for i := range 600 {
		if _, err := cli.Put(ctx, fmt.Sprintf("/registry/configmaps/churn/%d", i%5), fmt.Sprint(i, value)); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	// 600 rows of 64 KB (value and old value): ≈ 40 MB written. Kine keeps
	// its newest 100 revisions: ≈ 6.5 MB, plus 1 MB of slack.
	const bound = 12 << 20
	var size int64
	for size = fileSize(dbFile); size > bound; size = fileSize(dbFile) {
		select {
		case <-ctx.Done():
			t.Fatalf("state.db + WAL still %d bytes, want ≤ %d; reports: %q", size, bound, reports)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Logf("state.db + WAL %d bytes; %q", size, reports)
	r, err := cli.Get(ctx, "/registry/configmaps/churn/4")
	if err != nil || len(r.Kvs) != 1 || !strings.HasPrefix(string(r.Kvs[0].Value), "599x") {
		t.Fatalf("after compaction: %v %v", r, err)
	}
	if len(reports) == 0 {
		t.Fatal("no compaction reported returning space")
	}
	if got := autoVacuum(t, dbFile); got != 2 {
		t.Fatalf("auto_vacuum %d, want 2 (incremental)", got)
	}
	// What `shoal datastore status` prints, read beside the running kine.
	st, err := sqliteStatus(ctx, dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Keys != 6 || st.Compacted == 0 || st.Rows > 5+200 || st.Revision < 600 || st.AutoVacuum != "incremental" {
		t.Fatalf("status %+v: want 6 live keys (5 and kine's /registry/health), a compacted revision, at most 205 rows kept, revision ≥ 600", st)
	}
	var out strings.Builder
	st.Print(&out)
	if !strings.Contains(out.String(), "live keys:   6\n") {
		t.Fatalf("printed:\n%s", out.String())
	}
}

// TestSQLiteConvertedToIncrementalVacuum opens a file made without
// auto-vacuum (by shoal before it set one): kine's start-up VACUUM converts it.
func TestSQLiteConvertedToIncrementalVacuum(t *testing.T) {
	dir := t.TempDir()
	dbFile := filepath.Join(dir, "state.db")
	db, err := sql.Open("sqlite3", dbFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE kine (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, created INTEGER, deleted INTEGER, create_revision INTEGER, prev_revision INTEGER, lease INTEGER, value BLOB, old_value BLOB)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if got := autoVacuum(t, dbFile); got != 0 {
		t.Fatalf("made with auto_vacuum %d", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := NewKine(dbFile, filepath.Join(dir, "kine.sock"))
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	s.Stop(ctx)
	if got := autoVacuum(t, dbFile); got != 2 {
		t.Fatalf("auto_vacuum %d after kine's start, want 2 (incremental)", got)
	}
}

func autoVacuum(t *testing.T, dbFile string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", dbFile+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("PRAGMA auto_vacuum").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func fileSize(dbFile string) int64 { return sqliteFile{path: dbFile}.size() }
