package snapshot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "github.com/mattn/go-sqlite3" // the driver kine uses (cgo); registers "sqlite3"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// Info is one snapshot file.
type Info struct {
	Name    string
	Path    string
	Size    int64
	Created time.Time
}

// saveSQLite writes a consistent copy of dbFile to dir/name (name gets
// the Unix time appended) and returns its path.
func saveSQLite(ctx context.Context, dbFile, dir, name string, now time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if _, err := os.Stat(dbFile); err != nil {
		return "", fmt.Errorf("datastore %s: %w", dbFile, err)
	}
	db, err := sql.Open("sqlite3", dbFile+"?_busy_timeout=30000&mode=ro")
	if err != nil {
		return "", err
	}
	defer db.Close()
	path := filepath.Join(dir, fmt.Sprintf("%s-%d", name, now.Unix()))
	tmp := path + ".part"
	_ = os.Remove(tmp)
	// Created empty and 0600 first: SQLite writes into an empty file and
	// keeps its mode, so the copy is never readable by others, even for a
	// moment in a --etcd-snapshot-dir that others may list.
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	f.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", tmp); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("snapshot of %s: %w", dbFile, err)
	}
	return path, seal(tmp, path)
}

// seal makes the finished snapshot at tmp durable under its name: synced,
// 0600, renamed, and the rename synced in its directory, so a power cut
// leaves either no snapshot or a whole one.
func seal(tmp, path string) error {
	f, err := os.OpenFile(tmp, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Chmod(0o600)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return atomicfile.Rename(tmp, path)
}

// List returns the snapshots in dir, newest first.
func List(dir string) ([]Info, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || strings.HasSuffix(e.Name(), ".part") {
			continue
		}
		out = append(out, Info{Name: e.Name(), Path: filepath.Join(dir, e.Name()), Size: fi.Size(), Created: fi.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// Delete removes the named snapshots from dir.
func Delete(dir string, names ...string) error {
	for _, n := range names {
		if n != filepath.Base(n) {
			return fmt.Errorf("snapshot %q: a name from `shoal etcd-snapshot ls`, not a path", n)
		}
		if err := os.Remove(filepath.Join(dir, n)); err != nil {
			return fmt.Errorf("snapshot %s: %w", n, err)
		}
	}
	return nil
}

// Prune keeps the newest keep snapshots whose name starts with prefix and
// deletes the others, returning their names.
func Prune(dir, prefix string, keep int) ([]string, error) {
	all, err := List(dir)
	if err != nil {
		return nil, err
	}
	var deleted []string
	kept := 0
	for _, s := range all {
		if !strings.HasPrefix(s.Name, prefix) {
			continue
		}
		if kept < keep {
			kept++
			continue
		}
		if err := os.Remove(s.Path); err != nil {
			return deleted, err
		}
		deleted = append(deleted, s.Name)
	}
	return deleted, nil
}

// Restore replaces dbFile (kine must not be running) with a copy of
// from, moving kine's revision counter past the replaced database's.
func Restore(ctx context.Context, dbFile, from string) error {
	if kind, err := Kind(from); err != nil {
		return fmt.Errorf("--cluster-reset-restore-path: %w", err)
	} else if kind != "sqlite" {
		return fmt.Errorf("--cluster-reset-restore-path %s: an etcd snapshot, and this server runs SQLite (add --cluster-init to restore it into embedded etcd)", from)
	}
	snapRev, err := maxRevision(ctx, from)
	if err != nil {
		return fmt.Errorf("--cluster-reset-restore-path %s: not a shoal datastore snapshot (%w)", from, err)
	}
	oldRev, err := maxRevision(ctx, dbFile)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		oldRev = 0 // a damaged database is what a restore is for
	}
	if err := os.MkdirAll(filepath.Dir(dbFile), 0o700); err != nil {
		return err
	}
	tmp := dbFile + ".restore"
	if err := copyFile(from, tmp); err != nil {
		return err
	}
	if oldRev > snapRev {
		if err := bumpRevision(ctx, tmp, oldRev); err != nil {
			return err
		}
	}
	for _, f := range []string{dbFile + "-wal", dbFile + "-shm"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return atomicfile.Rename(tmp, dbFile)
}

// maxRevision is the highest revision kine handed out in db.
func maxRevision(ctx context.Context, db string) (int64, error) {
	if _, err := os.Stat(db); err != nil {
		return 0, err
	}
	conn, err := sql.Open("sqlite3", db+"?mode=ro&_busy_timeout=30000")
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var rev sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT MAX(id) FROM kine").Scan(&rev); err != nil {
		return 0, err
	}
	return rev.Int64, nil
}

// bumpRevision makes rev+1 the current revision with a row of the kind
// kine itself writes to fill gaps in revisions ("gap-N", created 0,
// deleted 1), so the restored datastore starts after every revision
// clients may hold.
func bumpRevision(ctx context.Context, db string, rev int64) error {
	conn, err := sql.Open("sqlite3", db)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `INSERT INTO kine(id, name, created, deleted, create_revision, prev_revision, lease, value, old_value)
		VALUES (?, ?, 0, 1, 0, 0, 0, NULL, NULL)`, rev+1, fmt.Sprintf("gap-%d", rev+1))
	return err
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
