package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shoal-dev/shoal/internal/datastore"
)

// Source is the datastore snapshots are taken of: the SQLite file, or the
// embedded etcd member (through its client URL).
type Source struct {
	DBFile string
	Etcd   *datastore.Client
}

// Save writes a consistent snapshot of src to dir/name (name gets the Unix
// time appended), mode 0600, and returns its path.
func Save(ctx context.Context, src Source, dir, name string, now time.Time) (string, error) {
	if src.Etcd != nil {
		return saveEtcd(ctx, *src.Etcd, dir, name, now)
	}
	return saveSQLite(ctx, src.DBFile, dir, name, now)
}

// Kind tells a snapshot's datastore from its first bytes: "sqlite" or
// "etcd" (a bbolt file).
func Kind(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 16)
	if _, err := io.ReadFull(f, head); err != nil {
		return "", fmt.Errorf("%s: not a snapshot (%w)", path, err)
	}
	if bytes.Equal(head, []byte("SQLite format 3\x00")) {
		return "sqlite", nil
	}
	return "etcd", nil
}
