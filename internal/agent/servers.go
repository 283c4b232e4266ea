package agent

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/joinprotocol"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/loadbalancer"
)

// refreshEvery is how often a node asks for the current servers.
const refreshEvery = 15 * time.Second

// serverList keeps the load balancer's servers current: every live server
// of the cluster, --server first (it may be the only one reachable from
// behind this node's NAT).
type serverList struct {
	lifecycle.Task
	lb    *loadbalancer.LB
	first string // host:port of --server
	http  *http.Client
}

var _ lifecycle.Component = (*serverList)(nil)

func newServerList(lb *loadbalancer.LB, first string, tlsCfg *tls.Config) *serverList {
	return &serverList{lb: lb, first: first, http: &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: tlsCfg}}}
}

// Name implements lifecycle.Component.
func (s *serverList) Name() string { return "server list" }

// Start polls the servers' config through the load balancer.
func (s *serverList) Start(ctx context.Context) error {
	return s.Tick(ctx, refreshEvery, func(ctx context.Context) {
		if servers, err := s.fetch(ctx); err == nil {
			_ = s.lb.SetServers(slices.Compact(append([]string{s.first}, servers...)))
		}
	})
}

func (s *serverList) fetch(ctx context.Context) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+LoadBalancerAddr+joinprotocol.PathConfig, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", joinprotocol.PathConfig, resp.Status)
	}
	var cfg joinprotocol.AgentConfig
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", joinprotocol.PathConfig, err)
	}
	return cfg.Servers, nil
}

// Ready implements lifecycle.Component.
func (s *serverList) Ready(context.Context) error { return nil }

// Stop implements lifecycle.Component.
func (s *serverList) Stop(ctx context.Context) error { return s.Halt(ctx) }

// serversFile keeps the last server list, so a node restarting while its
// --server is down joins through another server.
func serversFile(etcDir string) string { return filepath.Join(etcDir, "servers.json") }

func storeServers(etcDir string) func([]string) error {
	return func(servers []string) error {
		b, err := json.Marshal(servers)
		if err != nil {
			return err
		}
		return atomicfile.Write(serversFile(etcDir), b, 0o600)
	}
}

// storedServers is the list storeServers kept (nil if none).
func storedServers(etcDir string) []string {
	b, err := os.ReadFile(serversFile(etcDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var out []string
	_ = json.Unmarshal(b, &out)
	return out
}
