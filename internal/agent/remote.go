package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/shoal-dev/shoal/internal/box"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/join"
	"github.com/shoal-dev/shoal/internal/joinprotocol"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/loadbalancer"
	"github.com/shoal-dev/shoal/internal/node"
	"github.com/shoal-dev/shoal/internal/token"
	"github.com/shoal-dev/shoal/internal/tunnel"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// LoadBalancerAddr is where a joined node's components reach the servers.
const LoadBalancerAddr = "127.0.0.1:6444"

// joined runs the join protocol and returns the load balancer and tunnel
// that precede the node stack.
func joined(ctx context.Context, cfg *config.AgentCommand, report func(string, ...any)) ([]lifecycle.Component, *node.Stack, error) {
	tok, err := token.Parse(cfg.Token)
	if err != nil {
		return nil, nil, fmt.Errorf("--token: %w", err)
	}
	for _, d := range []string{cfg.AgentPaths.TLS, cfg.AgentPaths.Etc} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, nil, err
		}
	}
	opts := join.Options{Server: cfg.Server, Token: tok, NodeName: cfg.NodeName, NodeIP: cfg.NodeIP,
		TLSDir: cfg.AgentPaths.TLS, EtcDir: cfg.AgentPaths.Etc, Warn: report}
	res, err := joinWithRetry(ctx, opts, storedServers(cfg.AgentPaths.Etc), report)
	if err != nil {
		return nil, nil, err
	}
	report("joined %s as node %s", res.Server, cfg.NodeName)
	u, _ := url.Parse(cfg.Server)
	// --server first: the advertised addresses may not be reachable from
	// behind this node's NAT.
	servers := slices.Compact(append([]string{u.Host}, res.Config.Servers...))
	if err := storeServers(cfg.AgentPaths.Etc)(servers); err != nil {
		return nil, nil, err
	}
	lb := loadbalancer.New(LoadBalancerAddr, servers, storeServers(cfg.AgentPaths.Etc))
	cluster := res.Config.Cluster
	cluster.ServerURL = "https://" + LoadBalancerAddr
	stack, err := node.New(&node.Config{Agent: cfg.Agent, Cluster: cluster, Certs: res.Certs,
		Role: box.Agent}, report)
	if err != nil {
		return nil, nil, err
	}
	tlsCfg, err := nodeTLS(res)
	if err != nil {
		return nil, nil, err
	}
	allow := allowLocal(cfg.NodeIP, cfg.NodeName, stack.Client)
	tun := tunnel.New("wss://"+LoadBalancerAddr+joinprotocol.PathConnect, tlsCfg, allow, report)
	upgraders := node.Upgraders(cfg.Agent, stack, upgrade.FromServer("https://"+LoadBalancerAddr, &http.Transport{TLSClientConfig: tlsCfg}), report)
	return append([]lifecycle.Component{lb, newServerList(lb, u.Host, tlsCfg), tun}, upgraders...), stack, nil
}

// joinWithRetry retries while no server can be reached (one may be
// starting): --server, then the servers known from the last run; a
// refusal is final.
func joinWithRetry(ctx context.Context, o join.Options, known []string, report func(string, ...any)) (*join.Result, error) {
	said := false
	urls := []string{o.Server}
	for _, hostPort := range known {
		if u := "https://" + hostPort; !slices.Contains(urls, u) {
			urls = append(urls, u)
		}
	}
	for i := 0; ; i++ {
		o.Server = urls[i%len(urls)]
		res, err := join.Join(ctx, o)
		if err == nil || !errors.Is(err, join.ErrUnreachable) {
			return res, err
		}
		if (i+1)%len(urls) != 0 {
			continue // the next known server at once
		}
		if !said {
			report("waiting for the server: %v", err)
			said = true
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(2 * time.Second):
		}
	}
}

// nodeTLS is the tunnel's TLS: the kubelet's client certificate, the
// pinned server CA.
func nodeTLS(res *join.Result) (*tls.Config, error) {
	pair, err := tls.LoadX509KeyPair(res.Certs.KubeletClient.Cert, res.Certs.KubeletClient.Key)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(res.Certs.ServerCA)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	return &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

// allowLocal admits the server's dials to this node's kubelet and to its
// own pods, nothing else.
func allowLocal(nodeIP, nodeName string, client kubernetes.Interface) func(string, int) bool {
	var mu sync.Mutex
	var podCIDR *net.IPNet
	return func(host string, port int) bool {
		if port == 10250 && (host == nodeIP || host == "127.0.0.1") {
			return true
		}
		ip := net.ParseIP(host)
		if ip == nil {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if podCIDR == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if n, err := client.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{}); err == nil && n.Spec.PodCIDR != "" {
				_, podCIDR, _ = net.ParseCIDR(n.Spec.PodCIDR)
			}
		}
		return podCIDR != nil && podCIDR.Contains(ip)
	}
}
