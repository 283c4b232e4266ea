package bootstrap

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	_ "github.com/mattn/go-sqlite3" // registers "sqlite3", as kine does
	"go.etcd.io/bbolt"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/protobuf/proto"

	"github.com/shoal-dev/shoal/internal/snapshot"
)

// FromSnapshot reads the bootstrap data sealed with credential out of a
// snapshot file (SQLite or etcd) and opens it.
func FromSnapshot(ctx context.Context, path, credential string) (map[string][]byte, error) {
	kind, err := snapshot.Kind(path)
	if err != nil {
		return nil, err
	}
	var blob []byte
	if kind == "sqlite" {
		blob, err = fromSQLite(ctx, path, Key(credential))
	} else {
		blob, err = fromBolt(path, Key(credential))
	}
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", path, err)
	}
	if blob == nil {
		return nil, fmt.Errorf("snapshot %s holds no bootstrap data for this token (wrong --token, or taken before shoal stored it)", path)
	}
	return Open(blob, credential)
}

// fromSQLite reads the newest row of key from kine's table.
func fromSQLite(ctx context.Context, path, key string) ([]byte, error) {
	db, err := sql.Open("sqlite3", path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var value []byte
	var deleted int
	err = db.QueryRowContext(ctx, "SELECT value, deleted FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1", key).Scan(&value, &deleted)
	if errors.Is(err, sql.ErrNoRows) || deleted != 0 {
		return nil, nil
	}
	return value, err
}

// fromBolt scans etcd's key bucket (keyed by revision, so the last match
// is the newest; a tombstone revision ends in 't').
func fromBolt(path, key string) ([]byte, error) {
	db, err := bbolt.Open(path, 0o400, &bbolt.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var value []byte
	err = db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("key"))
		if b == nil {
			return errors.New("not an etcd snapshot (no key bucket)")
		}
		return b.ForEach(func(rev, raw []byte) error {
			var kv mvccpb.KeyValue
			if err := proto.Unmarshal(raw, &kv); err != nil || string(kv.Key) != key {
				return nil
			}
			if len(rev) > 17 && rev[17] == 't' {
				value = nil
			} else {
				value = append([]byte(nil), kv.Value...)
			}
			return nil
		})
	})
	return value, err
}

// WriteMissing writes the files under dataDir that are not there yet
// (0600; directories 0700) and returns how many it wrote.
func WriteMissing(dataDir string, files map[string][]byte) (int, error) {
	n := 0
	for rel, content := range files {
		abs := filepath.Join(dataDir, filepath.Clean("/"+rel))
		if _, err := os.Stat(abs); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
			return n, err
		}
		if err := os.WriteFile(abs, content, 0o600); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
