package loadbalancer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// LB forwards each accepted connection to a server.
type LB struct {
	addr           string
	mu             sync.Mutex
	servers        []string
	good           int // index of the server that answered last
	ln             net.Listener
	onStore        func([]string) error
	lifecycle.Task // the accept loop
}

var _ lifecycle.Component = (*LB)(nil)

// New listens on addr (at Start) for servers; onStore persists a new list.
func New(addr string, servers []string, onStore func([]string) error) *LB {
	return &LB{addr: addr, servers: slices.Clone(servers), onStore: onStore}
}

// Name implements lifecycle.Component.
func (l *LB) Name() string { return "load balancer" }

// Addr is where the node's components connect.
func (l *LB) Addr() string { return l.addr }

// Start listens and serves.
func (l *LB) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return fmt.Errorf("load balancer: %w", err)
	}
	l.ln = ln
	return l.Go(ctx, func(ctx context.Context) error {
		go func() {
			<-ctx.Done()
			_ = ln.Close()
		}()
		for {
			conn, err := ln.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return nil
				}
				return err
			}
			go l.forward(conn)
		}
	})
}

// SetServers replaces the server list (from the server's config), keeping
// the current one first if it is still listed.
func (l *LB) SetServers(servers []string) error {
	if len(servers) == 0 {
		return nil
	}
	l.mu.Lock()
	cur := l.servers[l.good%len(l.servers)]
	changed := !slices.Equal(l.servers, servers)
	l.servers, l.good = slices.Clone(servers), max(0, slices.Index(servers, cur))
	l.mu.Unlock()
	if changed && l.onStore != nil {
		return l.onStore(servers)
	}
	return nil
}

// dialTimeout is short: a server that does not answer a SYN within it is
// probably unreachable, and the next one (or the next retry) is better.
const dialTimeout = 3 * time.Second

// dial tries the last good server first, then the others in order.
func (l *LB) dial() (net.Conn, error) {
	l.mu.Lock()
	servers, first := slices.Clone(l.servers), l.good
	l.mu.Unlock()
	var errs []error
	for i := range servers {
		idx := (first + i) % len(servers)
		conn, err := net.DialTimeout("tcp", servers[idx], dialTimeout)
		if err == nil {
			l.mu.Lock()
			l.good = idx
			l.mu.Unlock()
			return conn, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func (l *LB) forward(client net.Conn) {
	server, err := l.dial()
	if err != nil {
		client.Close()
		return
	}
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(server, client); done <- struct{}{} }()
	go func() { _, _ = io.Copy(client, server); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
}

// Ready implements lifecycle.Component: listening is ready.
func (l *LB) Ready(context.Context) error { return nil }

// Stop closes the listener (open connections end with their peers).
func (l *LB) Stop(ctx context.Context) error { return l.Halt(ctx) }
