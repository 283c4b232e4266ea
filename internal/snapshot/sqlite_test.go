package snapshot

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// kineDB makes a database with kine's table and n rows.
func kineDB(t *testing.T, path string, n int) {
	db, err := sql.Open("sqlite3", path+"?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE kine (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, created INTEGER, deleted INTEGER,
		create_revision INTEGER, prev_revision INTEGER, lease INTEGER, value BLOB, old_value BLOB)`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := db.Exec(`INSERT INTO kine(name, created, deleted, create_revision, prev_revision, lease, value) VALUES (?, 1, 0, 0, 0, 0, 'v')`, "/k"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSaveListPruneRestore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	dbFile, snaps := filepath.Join(dir, "db", "state.db"), filepath.Join(dir, "snapshots")
	if err := Restore(ctx, dbFile, filepath.Join(dir, "nothing")); err == nil {
		t.Error("restoring a missing snapshot succeeded")
	}
	if _, err := Save(ctx, Source{DBFile: dbFile}, snaps, "on-demand", time.Now()); err == nil {
		t.Error("a snapshot of a missing datastore succeeded")
	}
	if err := Restore(ctx, dbFile, filepath.Join(dir, "x")); err == nil {
		t.Error("restore of garbage succeeded")
	}
	kineDB(t, filepath.Join(dir, "seed.db"), 0)
	if err := Restore(ctx, dbFile, filepath.Join(dir, "seed.db")); err != nil { // a fresh datastore
		t.Fatal(err)
	}
	kineDB2 := func(n int) {
		db, _ := sql.Open("sqlite3", dbFile)
		defer db.Close()
		for i := 0; i < n; i++ {
			if _, err := db.Exec(`INSERT INTO kine(name, created, deleted, create_revision, prev_revision, lease, value) VALUES ('/k', 1, 0, 0, 0, 0, 'v')`); err != nil {
				t.Fatal(err)
			}
		}
	}
	kineDB2(3)
	if err := os.MkdirAll(snaps, 0o755); err != nil {
		t.Fatal(err)
	}
	base := time.Now()
	first, err := Save(ctx, Source{DBFile: dbFile}, snaps, "on-demand", base)
	if err != nil {
		t.Fatal(err)
	}
	// A snapshot dir others may read (a user's --etcd-snapshot-dir): the
	// snapshot is 0600 and no partial file is left beside it.
	if fi, err := os.Stat(first); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("snapshot %s: %v %v, want mode 0600", first, fi.Mode(), err)
	}
	if _, err := os.Stat(first + ".part"); !os.IsNotExist(err) {
		t.Errorf("partial snapshot left behind: %v", err)
	}
	kineDB2(7) // revisions 4..10 after the snapshot
	for i := 1; i <= 3; i++ {
		if _, err := Save(ctx, Source{DBFile: dbFile}, snaps, "scheduled", base.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := List(snaps)
	if len(all) != 4 {
		t.Fatalf("list: %v", all)
	}
	deleted, err := Prune(snaps, "scheduled", 2)
	if err != nil || len(deleted) != 1 {
		t.Fatalf("prune: %v %v", deleted, err)
	}
	if err := Restore(ctx, dbFile, first); err != nil {
		t.Fatal(err)
	}
	rows, _ := maxRevision(ctx, dbFile)
	if rows != 11 {
		t.Errorf("after restoring a 3-revision snapshot over 10 revisions the current revision is %d, want 11", rows)
	}
	db, _ := sql.Open("sqlite3", dbFile)
	defer db.Close()
	var live int
	db.QueryRow(`SELECT COUNT(*) FROM kine WHERE name = '/k'`).Scan(&live)
	if live != 3 {
		t.Errorf("restored %d rows, want the snapshot's 3", live)
	}
	if err := Delete(snaps, "../state.db"); err == nil {
		t.Error("delete accepted a path")
	}
}
