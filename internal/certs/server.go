package certs

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/pki"
)

// Pair is a certificate and its key on disk.
type Pair struct{ Cert, Key string }

// Server is every credential file the control plane uses.
type Server struct {
	ServerCA, ClientCA, RequestHeaderCA Pair
	// KubeletServingCA signs kubelets' serving certificates only: the
	// apiserver trusts it for kubelets (--kubelet-certificate-authority),
	// nothing trusts it for the apiserver, so a node's certificate never
	// passes as the apiserver's.
	KubeletServingCA         Pair
	EtcdServerCA, EtcdPeerCA Pair // embedded etcd's client and peer trust

	APIServerServing Pair
	Admin            Pair
	ControllerMgr    Pair
	Scheduler        Pair
	KubeletClient    Pair // apiserver → kubelet (logs, exec)
	AuthProxy        Pair // apiserver → aggregated APIs
	MetricsServer    Pair // metrics-server → apiserver and kubelets
	// MetricsServing is metrics-server's serving certificate, for the
	// name the aggregator checks (metrics-server.kube-system.svc).
	MetricsServing Pair

	EtcdServing Pair // etcd's client URLs
	EtcdClient  Pair // kube-apiserver and shoal → etcd
	EtcdPeer    Pair // etcd ↔ etcd (server and client usage)

	ServiceAccountKey string

	// The CAs' own certificates alone, for kube-controller-manager's
	// signers (which refuse a bundle; after rotate-ca the CA files are
	// bundles new + old).
	ServerCASigning, ClientCASigning, KubeletServingCASigning string
}

// Layout names the files without creating them.
func Layout(p config.Paths) *Server {
	pair := func(n string) Pair { return Pair{p.TLS(n + ".crt"), p.TLS(n + ".key")} }
	return &Server{
		ServerCA:                pair("server-ca"),
		ClientCA:                pair("client-ca"),
		RequestHeaderCA:         pair("request-header-ca"),
		KubeletServingCA:        pair("kubelet-serving-ca"),
		APIServerServing:        pair("serving-kube-apiserver"),
		Admin:                   pair("client-admin"),
		ControllerMgr:           pair("client-controller"),
		Scheduler:               pair("client-scheduler"),
		KubeletClient:           pair("client-kube-apiserver"),
		AuthProxy:               pair("client-auth-proxy"),
		MetricsServer:           pair("client-metrics-server"),
		MetricsServing:          pair("serving-metrics-server"),
		EtcdServerCA:            Pair{p.TLS("etcd/server-ca.crt"), p.TLS("etcd/server-ca.key")},
		EtcdPeerCA:              Pair{p.TLS("etcd/peer-ca.crt"), p.TLS("etcd/peer-ca.key")},
		EtcdServing:             Pair{p.TLS("etcd/server-client.crt"), p.TLS("etcd/server-client.key")},
		EtcdClient:              Pair{p.TLS("etcd/client.crt"), p.TLS("etcd/client.key")},
		EtcdPeer:                Pair{p.TLS("etcd/peer-server-client.crt"), p.TLS("etcd/peer-server-client.key")},
		ServiceAccountKey:       p.TLS("service.key"),
		ServerCASigning:         p.TLS("signing/server-ca.crt"),
		ClientCASigning:         p.TLS("signing/client-ca.crt"),
		KubeletServingCASigning: p.TLS("signing/kubelet-serving-ca.crt"),
	}
}

// Ensure creates missing CAs, issues missing or stale leaves, and returns
// how many leaves it (re)issued.
func Ensure(cfg *config.Server, now time.Time) (*Server, int, error) {
	s := Layout(cfg.Paths)
	if err := os.MkdirAll(filepath.Join(cfg.Paths.TLSDir, "etcd"), 0o700); err != nil {
		return nil, 0, err
	}
	serverCA, err := pki.LoadOrCreateCA(s.ServerCA.Cert, s.ServerCA.Key, "shoal-server-ca")
	if err != nil {
		return nil, 0, err
	}
	clientCA, err := pki.LoadOrCreateCA(s.ClientCA.Cert, s.ClientCA.Key, "shoal-client-ca")
	if err != nil {
		return nil, 0, err
	}
	rhCA, err := pki.LoadOrCreateCA(s.RequestHeaderCA.Cert, s.RequestHeaderCA.Key, "shoal-request-header-ca")
	if err != nil {
		return nil, 0, err
	}
	kubeletCA, err := pki.LoadOrCreateCA(s.KubeletServingCA.Cert, s.KubeletServingCA.Key, "shoal-kubelet-serving-ca")
	if err != nil {
		return nil, 0, err
	}
	etcdCA, err := pki.LoadOrCreateCA(s.EtcdServerCA.Cert, s.EtcdServerCA.Key, "shoal-etcd-server-ca")
	if err != nil {
		return nil, 0, err
	}
	peerCA, err := pki.LoadOrCreateCA(s.EtcdPeerCA.Cert, s.EtcdPeerCA.Key, "shoal-etcd-peer-ca")
	if err != nil {
		return nil, 0, err
	}
	if _, err := pki.LoadOrCreateKey(s.ServiceAccountKey); err != nil {
		return nil, 0, err
	}
	for path, ca := range map[string]*pki.CA{s.ServerCASigning: serverCA, s.ClientCASigning: clientCA, s.KubeletServingCASigning: kubeletCA} {
		if err := writeIfChanged(path, pki.EncodeCert(ca.Cert)); err != nil {
			return nil, 0, err
		}
	}
	etcdIPs := []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback, net.ParseIP(cfg.AdvertiseAddress)}
	leaves := []leaf{
		{serverCA, servingLeaf(cfg), s.APIServerServing},
		{clientCA, pki.Leaf{CommonName: "system:admin", Organization: []string{"system:masters"}, Client: true}, s.Admin},
		{clientCA, pki.Leaf{CommonName: "system:kube-controller-manager", Client: true}, s.ControllerMgr},
		{clientCA, pki.Leaf{CommonName: "system:kube-scheduler", Client: true}, s.Scheduler},
		{clientCA, pki.Leaf{CommonName: "system:kube-apiserver", Organization: []string{"system:masters"}, Client: true}, s.KubeletClient},
		{rhCA, pki.Leaf{CommonName: "system:auth-proxy", Client: true}, s.AuthProxy},
		{clientCA, pki.Leaf{CommonName: "system:metrics-server", Client: true}, s.MetricsServer},
		{serverCA, pki.Leaf{CommonName: "metrics-server", DNSNames: []string{"metrics-server.kube-system.svc"},
			IPs: []net.IP{net.ParseIP(cfg.AdvertiseAddress)}, Server: true}, s.MetricsServing},
		{etcdCA, pki.Leaf{CommonName: "etcd-server", DNSNames: []string{"localhost"}, IPs: etcdIPs, Server: true, Client: true}, s.EtcdServing},
		{etcdCA, pki.Leaf{CommonName: "etcd-client", Client: true}, s.EtcdClient},
		{peerCA, pki.Leaf{CommonName: "etcd-peer", DNSNames: []string{"localhost"}, IPs: etcdIPs, Server: true, Client: true}, s.EtcdPeer},
	}
	issued, err := ensureLeaves(leaves, now)
	return s, issued, err
}

// leaf is one certificate to keep issued: what, by which CA, where.
type leaf struct {
	ca   *pki.CA
	spec pki.Leaf
	to   Pair
}

// ensureLeaves issues or reuses each leaf and counts the ones (re)issued.
func ensureLeaves(leaves []leaf, now time.Time) (int, error) {
	issued := 0
	for _, l := range leaves {
		what, err := pki.EnsureLeaf(l.ca, l.spec, l.to.Cert, l.to.Key, now)
		if err != nil {
			return 0, fmt.Errorf("certificate %s: %w", l.to.Cert, err)
		}
		if what != pki.Reused {
			issued++
		}
	}
	return issued, nil
}

// servingLeaf is the apiserver's serving identity: every name a client may
// use, including the in-cluster service IP and the advertise address.
func servingLeaf(cfg *config.Server) pki.Leaf {
	dns := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc." + cfg.ClusterDomain}
	if h, err := os.Hostname(); err == nil && h != "" {
		dns = append(dns, h)
	}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback, cfg.APIServerIP, net.ParseIP(cfg.AdvertiseAddress)}
	if !cfg.DisableAgent {
		ips = append(ips, net.ParseIP(cfg.NodeIP))
	}
	if b := net.ParseIP(cfg.BindAddress); b != nil && !b.IsUnspecified() {
		ips = append(ips, b)
	}
	for _, san := range cfg.TLSSANs {
		if ip := net.ParseIP(san); ip != nil {
			ips = append(ips, ip)
		} else {
			dns = append(dns, san)
		}
	}
	return pki.Leaf{CommonName: "kube-apiserver", DNSNames: dns, IPs: ips, Server: true}
}

// writeIfChanged writes data to path (0644, directories 0700) unless it
// holds data already.
func writeIfChanged(path string, data []byte) error {
	if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, data, 0o644)
}
