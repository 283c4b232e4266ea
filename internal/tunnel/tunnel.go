package tunnel

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rancher/remotedialer"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// Client keeps the tunnel up.
type Client struct {
	url            string
	tls            *tls.Config
	allow          func(host string, port int) bool
	report         func(string, ...any)
	mu             sync.Mutex
	up             bool
	upCh           chan struct{}
	maxWait        time.Duration
	lifecycle.Task // the connect loop
}

var _ lifecycle.Component = (*Client)(nil)

// New dials url (wss://…/v1-shoal/connect) with tlsConfig (the node's
// client certificate, the pinned CA); allow decides which local
// addresses the server may reach.
func New(url string, tlsConfig *tls.Config, allow func(host string, port int) bool, report func(string, ...any)) *Client {
	return &Client{url: url, tls: tlsConfig, allow: allow, report: report,
		upCh: make(chan struct{}), maxWait: 2 * time.Second}
}

// Name implements lifecycle.Component.
func (c *Client) Name() string { return "tunnel" }

// Start connects in the background, forever.
func (c *Client) Start(ctx context.Context) error {
	return c.Go(ctx, func(ctx context.Context) error {
		c.loop(ctx)
		return nil
	})
}

func (c *Client) loop(ctx context.Context) {
	// Short timeouts: after a cut link the node must be reachable again
	// within seconds of the link's return.
	dialer := &websocket.Dialer{TLSClientConfig: c.tls, HandshakeTimeout: 5 * time.Second}
	authorize := func(proto, address string) bool {
		host, p, err := net.SplitHostPort(address)
		port, perr := strconv.Atoi(p)
		return proto == "tcp" && err == nil && perr == nil && c.allow(host, port)
	}
	wait := 250 * time.Millisecond
	for ctx.Err() == nil {
		started := time.Now()
		err := remotedialer.ConnectToProxyWithDialer(ctx, c.url, nil, authorize, dialer, nil,
			func(context.Context, *remotedialer.Session) error { c.setUp(true); return nil })
		if ctx.Err() != nil {
			return
		}
		if c.setUp(false) {
			c.report("tunnel to %s lost: %v; reconnecting", c.url, err)
		}
		if time.Since(started) > time.Minute {
			wait = 250 * time.Millisecond // it was up a while: start the backoff again
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, c.maxWait)
	}
}

// setUp records the state and reports whether it changed.
func (c *Client) setUp(up bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	changed := c.up != up
	c.up = up
	if up && changed {
		select {
		case <-c.upCh:
		default:
			close(c.upCh)
		}
		c.report("tunnel to %s up", c.url)
	}
	return changed
}

// Ready waits for the first connection.
func (c *Client) Ready(ctx context.Context) error {
	select {
	case <-c.upCh:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stop ends the tunnel.
func (c *Client) Stop(ctx context.Context) error { return c.Halt(ctx) }
