package datastore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/k3s-io/kine/pkg/drivers"
	"github.com/k3s-io/kine/pkg/drivers/generic"
	"github.com/k3s-io/kine/pkg/drivers/mysql"
	"github.com/k3s-io/kine/pkg/drivers/pgsql"
	"github.com/k3s-io/kine/pkg/drivers/sqlite"
	kineserver "github.com/k3s-io/kine/pkg/server"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// emulatedEtcdVersion is what kine reports to the apiserver: 3.6 tells it
// that watch progress notifications are supported.
const emulatedEtcdVersion = "3.6.11"

// Kine is kine over a SQLite file (or, with an endpoint, over
// PostgreSQL or MySQL), served to kube-apiserver on a unix socket.
type Kine struct {
	lifecycle.Task
	DBFile   string
	Socket   string
	External string // --datastore-endpoint; empty: the SQLite file
	// Report hears of compactions that returned space to the file
	// system; nil: nobody.
	Report func(format string, args ...any)
	// Compaction overrides defaultCompactPolicy (tests).
	Compaction *compactPolicy

	ready chan struct{}
}

var _ lifecycle.Component = (*Kine)(nil)

// NewKine prepares the datastore; nothing is opened until Start.
func NewKine(dbFile, socket string) *Kine {
	return &Kine{DBFile: dbFile, Socket: socket, ready: make(chan struct{})}
}

// Name implements lifecycle.Component.
func (s *Kine) Name() string { return "datastore" }

// Endpoint is the etcd URL the apiserver uses.
func (s *Kine) Endpoint() string { return "unix://" + s.Socket }

// Client is how kube-apiserver reaches kine: the unix socket.
func (s *Kine) Client() Client { return Client{Endpoints: []string{s.Endpoint()}} }

// NewExternal is kine over an external database; endpoint is a
// --datastore-endpoint (postgres://…, mysql://…).
func NewExternal(endpoint, socket string) *Kine {
	return &Kine{External: endpoint, Socket: socket, ready: make(chan struct{})}
}

// minRetain is how many of the newest revisions kine never compacts.
const minRetain = 100

// backend opens kine's driver for the datastore; reclaim is set for the
// SQLite file.
func (s *Kine) backend(ctx context.Context, wg *sync.WaitGroup) (b kineserver.Backend, reclaim func(context.Context, int64) (int64, int64, error), err error) {
	cfg := &drivers.Config{
		// Off: shoal's compactor asks for compaction (compactor.go), and
		// kine then compacts at once. The newest minRetain revisions are always
		// kept, whatever the compactor asks.
		CompactInterval:  0,
		CompactTimeout:   5 * time.Second,
		CompactMinRetain: minRetain,
		CompactBatchSize: 1000,
		PollBatchSize:    500,
		PollInterval:     time.Second,
	}
	scheme, rest, _ := strings.Cut(s.External, "://")
	cfg.DataSourceName = rest
	switch scheme {
	case "":
		cfg.DataSourceName = s.DBFile + "?" + sqlite.DefaultParams + "&" + sqliteParams
		var dialect *generic.Generic
		b, dialect, err = sqlite.NewVariant(ctx, wg, "sqlite3", cfg)
		if err == nil {
			reclaim = sqliteFile{db: dialect.DB, path: s.DBFile}.reclaim
		}
	case "postgres", "postgresql":
		_, b, err = pgsql.New(ctx, wg, cfg)
	case "mysql":
		_, b, err = mysql.New(ctx, wg, cfg)
	default:
		return nil, nil, fmt.Errorf("--datastore-endpoint: scheme %q not supported (postgres://, mysql://)", scheme)
	}
	if err != nil {
		return nil, nil, err
	}
	return createChecked{b}, reclaim, nil
}

func (s *Kine) policy() compactPolicy {
	if s.Compaction != nil {
		return *s.Compaction
	}
	return defaultCompactPolicy()
}

func (s *Kine) report(format string, args ...any) {
	if s.Report != nil {
		s.Report(format, args...)
	}
}

// describe names the datastore in errors, without credentials.
func (s *Kine) describe() string {
	if s.External == "" {
		return s.DBFile
	}
	return RedactEndpoint(s.External)
}

// RedactEndpoint hides the password of a datastore endpoint.
func RedactEndpoint(e string) string {
	scheme, rest, ok := strings.Cut(e, "://")
	if at := strings.LastIndex(rest, "@"); ok && at >= 0 {
		user, _, _ := strings.Cut(rest[:at], ":")
		return scheme + "://" + user + ":***@" + rest[at+1:]
	}
	return e
}

// Start opens the database and starts serving.
func (s *Kine) Start(ctx context.Context) error {
	if s.External != "" {
		return s.Go(ctx, s.run)
	}
	if err := os.MkdirAll(filepath.Dir(s.DBFile), 0o700); err != nil {
		return err
	}
	return s.Go(ctx, s.run)
}

func (s *Kine) run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	bctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	policy := s.policy()
	backend, reclaim, err := s.backend(bctx, &wg)
	if err != nil {
		return fmt.Errorf("open %s: %w", s.describe(), err)
	}
	if err := backend.Start(bctx); err != nil {
		return fmt.Errorf("start kine on %s: %w", s.describe(), err)
	}
	c := &compactor{backend: backend, policy: policy, reclaim: reclaim, report: s.report}
	wg.Add(1)
	go func() { defer wg.Done(); c.run(bctx) }()
	// The socket itself is the access control: 0600 in a 0700 dir.
	if err := os.Remove(s.Socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	lis, err := net.Listen("unix", s.Socket)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.Socket, err)
	}
	if err := os.Chmod(s.Socket, 0o600); err != nil {
		lis.Close()
		return err
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(8<<20), grpc.MaxSendMsgSize(1<<31-1), keepaliveOptions())
	kineserver.New(backend, "unix", 5*time.Second, emulatedEtcdVersion).Register(srv)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(lis) }()
	close(s.ready)

	select {
	case <-ctx.Done():
		stopGracefully(srv, 2*time.Second)
		return nil
	case err := <-serveErr:
		return fmt.Errorf("serve %s: %w", s.Socket, err)
	}
}

// keepaliveOptions accept the apiserver's etcd client pings (every 30 s,
// with or without open streams) the way etcd does (MinTime 5 s): gRPC's
// default policy allows one ping per 5 minutes and answers more with
// GOAWAY "too_many_pings", closing the connection and the requests on it
// (seen every ≈ 90 s under load by bench/scale.sh).
func keepaliveOptions() grpc.ServerOption {
	return grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true})
}

func stopGracefully(srv *grpc.Server, timeout time.Duration) {
	t := time.AfterFunc(timeout, srv.Stop)
	defer t.Stop()
	srv.GracefulStop()
}

// Ready waits until the socket answers an etcd Status call.
func (s *Kine) Ready(ctx context.Context) error {
	select {
	case <-s.ready:
	case <-s.Done():
		return s.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint()}, DialTimeout: 5 * time.Second, Context: ctx})
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.Get(ctx, "/registry/health")
	return err
}

// Stop closes the socket and the database.
func (s *Kine) Stop(ctx context.Context) error { return s.Halt(ctx) }
