package snapshot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	clientsnapshot "go.etcd.io/etcd/client/v3/snapshot"
	etcdutl "go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"

	"github.com/shoal-dev/shoal/internal/datastore"
)

// saveEtcd streams a snapshot from the etcd member c reaches.
func saveEtcd(ctx context.Context, c datastore.Client, dir, name string, now time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	cfg, err := c.Config(ctx)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%d", name, now.Unix()))
	tmp := path + ".part"
	_ = os.Remove(tmp)
	if _, err := clientsnapshot.SaveWithVersion(ctx, zap.NewNop(), cfg, tmp); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("snapshot of etcd at %v: %w", c.Endpoints, err)
	}
	return path, seal(tmp, path)
}

// RestoreEtcd makes dataDir a new one-member etcd cluster holding the
// snapshot's data; an existing dataDir is moved aside (its path returned).
// Revisions are bumped past anything clients may have seen, and marked
// compacted, so their watches re-list instead of going back in time.
func RestoreEtcd(from, dataDir, member, peerURL string, now time.Time) (string, error) {
	if kind, err := Kind(from); err != nil {
		return "", fmt.Errorf("--cluster-reset-restore-path: %w", err)
	} else if kind != "etcd" {
		return "", fmt.Errorf("--cluster-reset-restore-path %s: a SQLite snapshot, and this server runs embedded etcd", from)
	}
	aside := ""
	if _, err := os.Stat(dataDir); err == nil {
		aside = fmt.Sprintf("%s-old-%d", dataDir, now.Unix())
		if err := os.Rename(dataDir, aside); err != nil {
			return "", err
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	err := etcdutl.NewV3(zap.NewNop()).Restore(etcdutl.RestoreConfig{
		SnapshotPath:        from,
		Name:                member,
		OutputDataDir:       dataDir,
		PeerURLs:            []string{peerURL},
		InitialCluster:      member + "=" + peerURL,
		InitialClusterToken: "shoal",
		RevisionBump:        1_000_000_000,
		MarkCompacted:       true,
	})
	if err != nil {
		_ = os.RemoveAll(dataDir)
		if aside != "" {
			_ = os.Rename(aside, dataDir)
		}
		return "", fmt.Errorf("restore %s: %w", from, err)
	}
	return aside, os.Chmod(dataDir, 0o700)
}
