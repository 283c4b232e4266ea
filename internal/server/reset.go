package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/shoal-dev/shoal/internal/bootstrap"
	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/datastore"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/snapshot"
	"github.com/shoal-dev/shoal/internal/token"
)

// clusterReset is `shoal server --cluster-reset`: restore the datastore
// from a snapshot or, on embedded etcd without one, make this member the
// only one of its cluster (keeping its data). Then the server exits.
func clusterReset(ctx context.Context, cfg *config.Server, report func(string, ...any)) error {
	if err := restoreIdentity(ctx, cfg, report); err != nil {
		return err
	}
	switch {
	case cfg.Datastore == config.DatastoreSQLite:
		if err := snapshot.Restore(ctx, cfg.Paths.DBFile, cfg.RestorePath); err != nil {
			return err
		}
	case cfg.RestorePath != "":
		peer := "https://" + net.JoinHostPort(cfg.AdvertiseAddress, fmt.Sprint(datastore.EtcdPeerPort))
		aside, err := snapshot.RestoreEtcd(cfg.RestorePath, cfg.Paths.EtcdDir, etcdMemberName(cfg), peer, time.Now())
		if err != nil {
			return err
		}
		if aside != "" {
			report("the replaced etcd data is in %s", aside)
		}
	default:
		if err := forceNewCluster(ctx, cfg); err != nil {
			return err
		}
		report("etcd membership reset: this server is the only member; other servers must rejoin with an empty data dir")
		return nil
	}
	report("datastore restored from %s; restart without --cluster-reset (other servers rejoin with an empty data dir)", cfg.RestorePath)
	return nil
}

// forceNewCluster starts the local etcd member once with
// --force-new-cluster and stops it when it serves.
func forceNewCluster(ctx context.Context, cfg *config.Server) error {
	if !datastore.HasData(cfg.Paths.EtcdDir) {
		return fmt.Errorf("--cluster-reset: no etcd data in %s to reset", cfg.Paths.EtcdDir)
	}
	e := &datastore.Etcd{Member: etcdMemberName(cfg), Dir: cfg.Paths.EtcdDir, AdvertiseIP: cfg.AdvertiseAddress,
		TLS: etcdTLS(certs.Layout(cfg.Paths)), ForceNewCluster: true}
	runner := &lifecycle.Runner{Components: []lifecycle.Component{e}}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	return runner.Run(rctx, func() error { cancel(); return nil })
}

// SnapshotSource is the datastore of the server in dataDir, for
// `shoal etcd-snapshot save`: its etcd member if it runs one, else SQLite.
func SnapshotSource(dataDir string) snapshot.Source {
	p := config.NewPaths(dataDir)
	if !datastore.HasData(p.EtcdDir) {
		return snapshot.Source{DBFile: p.DBFile}
	}
	e := &datastore.Etcd{TLS: etcdTLS(certs.Layout(p))}
	c := e.Client()
	return snapshot.Source{Etcd: &c}
}

// restoreIdentity writes the CAs, keys and token sealed in the snapshot
// when the data dir has none: a restore onto a fresh machine, which needs
// the cluster's --token.
func restoreIdentity(ctx context.Context, cfg *config.Server, report func(string, ...any)) error {
	if cfg.RestorePath == "" {
		return nil
	}
	if _, err := os.Stat(certs.Layout(cfg.Paths).ServerCA.Cert); err == nil {
		return nil
	}
	if cfg.Token == "" {
		return fmt.Errorf("--cluster-reset-restore-path onto a data dir without certificates: give --token, the token of the cluster the snapshot is from")
	}
	cred, err := token.ServerCredential(cfg.Token)
	if err != nil {
		return err
	}
	files, err := bootstrap.FromSnapshot(ctx, cfg.RestorePath, cred)
	if err != nil {
		return fmt.Errorf("--cluster-reset-restore-path: %w", err)
	}
	n, err := bootstrap.WriteMissing(cfg.DataDir, files)
	if err != nil {
		return err
	}
	report("cluster identity (CAs, keys, token) restored from the snapshot: %d files", n)
	return nil
}
