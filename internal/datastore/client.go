package datastore

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// Client is how kube-apiserver, and shoal's own tools, reach a datastore
// through the etcd v3 API.
type Client struct {
	Endpoints                 []string
	CAFile, CertFile, KeyFile string // for https:// endpoints
}

// Config is the etcd client configuration for c; TLS when the endpoints
// are https://.
func (c Client) Config(ctx context.Context) (clientv3.Config, error) {
	var tlsCfg *tls.Config
	if len(c.Endpoints) > 0 && strings.HasPrefix(c.Endpoints[0], "https://") {
		info := transport.TLSInfo{CertFile: c.CertFile, KeyFile: c.KeyFile, TrustedCAFile: c.CAFile}
		var err error
		if tlsCfg, err = info.ClientConfig(); err != nil {
			return clientv3.Config{}, fmt.Errorf("etcd client TLS: %w", err)
		}
	}
	return clientv3.Config{Endpoints: c.Endpoints, TLS: tlsCfg, DialTimeout: 5 * time.Second,
		Context: ctx, Logger: zap.NewNop()}, nil
}

// NewEtcdClient dials c.
func NewEtcdClient(ctx context.Context, c Client) (*clientv3.Client, error) {
	cfg, err := c.Config(ctx)
	if err != nil {
		return nil, err
	}
	cli, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd client for %s: %w", strings.Join(c.Endpoints, ","), err)
	}
	return cli, nil
}

// Remote is a datastore shoal does not run (an external etcd cluster):
// Ready checks that it answers, so a wrong endpoint or certificate fails
// start-up with its own error rather than kube-apiserver's retries.
type Remote struct {
	lifecycle.Task
	To Client
}

var _ lifecycle.Component = (*Remote)(nil)

// Name implements lifecycle.Component.
func (r *Remote) Name() string { return "datastore" }

// Client is the external etcd.
func (r *Remote) Client() Client { return r.To }

// Start has nothing to run.
func (r *Remote) Start(ctx context.Context) error {
	return r.Go(ctx, func(ctx context.Context) error { <-ctx.Done(); return nil })
}

// Ready reads one key from the external etcd.
func (r *Remote) Ready(ctx context.Context) error {
	cli, err := NewEtcdClient(ctx, r.To)
	if err != nil {
		return err
	}
	defer cli.Close()
	gctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := cli.Get(gctx, "/registry/health"); err != nil {
		return fmt.Errorf("--datastore-endpoint %s: %w", strings.Join(r.To.Endpoints, ","), err)
	}
	return nil
}

// Stop implements lifecycle.Component.
func (r *Remote) Stop(ctx context.Context) error { return r.Halt(ctx) }
