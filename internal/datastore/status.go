package datastore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/shoal-dev/shoal/internal/config"
)

// Status is what `shoal datastore status` prints: how big the datastore is
// on disk, how much of it is live data and how much history it keeps.
type Status struct {
	Kind  string // "sqlite" or "embedded etcd"
	Path  string
	Files []FileSize // on disk
	InUse int64      // bytes of pages (SQLite) or of the bbolt file (etcd) holding data
	Keys  int64      // live keys
	// Revision is the newest revision; Compacted the one history was
	// compacted to (SQLite only; 0: unknown).
	Revision, Compacted int64
	Rows                int64  // SQLite: rows kept (live keys and their history)
	AutoVacuum          string // SQLite: none, full or incremental
}

// FileSize is one part of the datastore on disk.
type FileSize struct {
	Name  string
	Bytes int64
}

// LocalStatus reads the status of the datastore of the server whose data
// dir is p: its SQLite file directly, read-only (the server may run or
// not), or its embedded etcd member through the member's client URL (the
// server must run).
func LocalStatus(ctx context.Context, p config.Paths) (Status, error) {
	if HasData(p.EtcdDir) {
		return etcdStatus(ctx, p)
	}
	if _, err := os.Stat(p.DBFile); err != nil {
		return Status{}, fmt.Errorf("no SQLite file or etcd member in %s (is --data-dir a server's? an external datastore is sized by its own tools): %w", p.DBDir, err)
	}
	return sqliteStatus(ctx, p.DBFile)
}

func sqliteStatus(ctx context.Context, dbFile string) (Status, error) {
	st := Status{Kind: "sqlite", Path: dbFile, Files: sqliteFiles(dbFile)}
	db, err := sql.Open("sqlite3", "file:"+dbFile+"?mode=ro&_busy_timeout=5000")
	if err != nil {
		return st, err
	}
	defer db.Close()
	var pageSize, pages, free, vacuum int64
	queries := []struct {
		q    string
		into *int64
	}{
		{"PRAGMA page_size", &pageSize},
		{"PRAGMA page_count", &pages},
		{"PRAGMA freelist_count", &free},
		{"PRAGMA auto_vacuum", &vacuum},
		{"SELECT COUNT(*) FROM kine", &st.Rows},
		{"SELECT COALESCE(MAX(id), 0) FROM kine", &st.Revision},
		{"SELECT COALESCE(MAX(prev_revision), 0) FROM kine WHERE name = 'compact_rev_key'", &st.Compacted},
		{`SELECT COUNT(*) FROM kine AS k WHERE k.id IN (SELECT MAX(id) FROM kine GROUP BY name)
			AND k.deleted = 0 AND k.name NOT LIKE 'compact_rev_key%' AND k.name NOT LIKE 'gap-%'`, &st.Keys},
	}
	for _, q := range queries {
		if err := db.QueryRowContext(ctx, q.q).Scan(q.into); err != nil {
			return st, fmt.Errorf("%s: %s: %w", dbFile, q.q, err)
		}
	}
	st.InUse = (pages - free) * pageSize
	st.AutoVacuum = map[int64]string{0: "none", 1: "full", 2: "incremental"}[vacuum]
	return st, nil
}

func etcdStatus(ctx context.Context, p config.Paths) (Status, error) {
	st := Status{Kind: "embedded etcd", Path: p.EtcdDir}
	for _, part := range []struct{ name, dir string }{
		{"db", filepath.Join(p.EtcdDir, "member", "snap", "db")},
		{"wal", filepath.Join(p.EtcdDir, "member", "wal")},
		{"snapshots", filepath.Join(p.EtcdDir, "member", "snap")},
	} {
		n, err := diskBytes(part.dir, part.name == "snapshots")
		if err != nil {
			return st, err
		}
		st.Files = append(st.Files, FileSize{part.name, n})
	}
	c := Local(p)
	cli, err := NewEtcdClient(ctx, c)
	if err != nil {
		return st, err
	}
	defer cli.Close()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := cli.Status(sctx, c.Endpoints[0])
	if err != nil {
		return st, fmt.Errorf("etcd member at %s (is the server running?): %w", c.Endpoints[0], err)
	}
	st.InUse, st.Revision = s.DbSizeInUse, s.Header.Revision
	r, err := cli.Get(sctx, "/registry/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return st, err
	}
	st.Keys = r.Count
	return st, nil
}

// diskBytes is the size of path, a file or a directory's files; with
// skipDB, a file named db is not counted (etcd's snap dir holds the bbolt
// file, counted on its own).
func diskBytes(path string, skipDB bool) (int64, error) {
	var n int64
	err := filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (skipDB && d.Name() == "db") {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n += fi.Size()
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	return n, err
}

// Print writes st for a person.
func (st Status) Print(w io.Writer) {
	mb := func(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
	var total int64
	parts := ""
	for i, f := range st.Files {
		total += f.Bytes
		if i > 0 {
			parts += ", "
		}
		parts += f.Name + " " + mb(f.Bytes)
	}
	fmt.Fprintf(w, "datastore:   %s (%s)\n", st.Kind, st.Path)
	fmt.Fprintf(w, "on disk:     %s (%s)\n", mb(total), parts)
	fmt.Fprintf(w, "in use:      %s", mb(st.InUse))
	if st.AutoVacuum != "" {
		fmt.Fprintf(w, " (auto-vacuum %s)", st.AutoVacuum)
	}
	fmt.Fprintf(w, "\nlive keys:   %d\n", st.Keys)
	fmt.Fprintf(w, "revision:    %d", st.Revision)
	if st.Rows > 0 {
		fmt.Fprintf(w, ", history kept from %d: %d rows", st.Compacted, st.Rows)
	}
	fmt.Fprintln(w)
}
