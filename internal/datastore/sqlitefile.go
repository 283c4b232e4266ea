package datastore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// sqliteParams are kine's connection parameters plus incremental
// auto-vacuum (freed pages are kept in the file until reclaim returns
// them; an existing file made without it is converted by kine's VACUUM at
// start-up) and kine's own checkpoint after each compaction turned off:
// reclaim checkpoints once, when it is worth it.
const sqliteParams = "_auto_vacuum=incremental&_kine_disable_compact_wal_checkpoint=true"

// walTruncateAt is the WAL size above which reclaim truncates it even if
// no page was returned; below it, SQLite's own checkpoints (every 1,000
// pages) keep reusing the file and a truncation would only add writes.
const walTruncateAt = 4 << 20

// sqliteFile is kine's SQLite file as shoal keeps it small: after a
// compaction, free pages beyond what the next writes will need go back to
// the file system and the WAL is truncated.
type sqliteFile struct {
	db   *sql.DB // kine's own pool: the same shared cache and locks
	path string
}

// Reclaiming holds SQLite's write lock: it runs in chunks of 2 MB (at
// 4 KiB pages), with a pause after each in which waiting writers get the
// lock (their busy handler retries after a few ms).
const (
	reclaimChunk = 512
	reclaimPause = 20 * time.Millisecond
)

// reclaim returns free pages beyond keep bytes to the file system and
// truncates the WAL; it reports the bytes returned and the size after.
func (f sqliteFile) reclaim(ctx context.Context, keep int64) (reclaimed, size int64, err error) {
	before := f.size()
	var pageSize, free int64
	if err := f.db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return 0, before, err
	}
	if err := f.db.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
		return 0, before, err
	}
	for pages := (free*pageSize - keep) / pageSize; pages > 0; pages -= reclaimChunk {
		if err := f.vacuum(ctx, min(pages, reclaimChunk)); err != nil {
			return 0, f.size(), err
		}
		select {
		case <-ctx.Done():
			return 0, f.size(), ctx.Err()
		case <-time.After(reclaimPause):
		}
	}
	if free*pageSize > keep || walSize(f.path) > walTruncateAt {
		if _, err := f.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return 0, f.size(), fmt.Errorf("checkpoint: %w", err)
		}
	}
	after := f.size()
	return max(before-after, 0), after, nil
}

// vacuum frees n pages. SQLite frees one page per step of the statement
// (a row each), so the rows are read to the end.
func (f sqliteFile) vacuum(ctx context.Context, n int64) error {
	rows, err := f.db.QueryContext(ctx, fmt.Sprintf("PRAGMA incremental_vacuum(%d)", n))
	if err != nil {
		return fmt.Errorf("incremental_vacuum: %w", err)
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return fmt.Errorf("incremental_vacuum: %w", err)
	}
	return rows.Close()
}

// size is the file, its WAL and its shared-memory index on disk, in bytes.
func (f sqliteFile) size() int64 {
	var n int64
	for _, part := range sqliteFiles(f.path) {
		n += part.Bytes
	}
	return n
}

// sqliteFiles is a SQLite file and the parts beside it that exist.
func sqliteFiles(dbFile string) []FileSize {
	var parts []FileSize
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if fi, err := os.Stat(dbFile + suffix); err == nil {
			parts = append(parts, FileSize{filepath.Base(dbFile) + suffix, fi.Size()})
		}
	}
	return parts
}

func walSize(dbFile string) int64 {
	fi, err := os.Stat(dbFile + "-wal")
	if err != nil {
		return 0
	}
	return fi.Size()
}
