package datastore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/storage/wal"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// Ports of embedded etcd, the ones every etcd operator expects.
const (
	EtcdClientPort = 2379
	EtcdPeerPort   = 2380
)

// EtcdTLS names embedded etcd's credential files.
type EtcdTLS struct {
	ServerCA, ServingCert, ServingKey string // client URLs, trusting ServerCA's client certs
	PeerCA, PeerCert, PeerKey         string // peer URLs, both directions
	ClientCert, ClientKey             string // this server's own client identity
}

// Etcd is an etcd member in-process. A new cluster starts with one member
// (--cluster-init); another server joins by adding itself as a member
// through the etcd of the server it joins (--server).
type Etcd struct {
	lifecycle.Task
	Member      string // member name: unique per server
	Dir         string
	AdvertiseIP string
	TLS         EtcdTLS
	Join        string // https://HOST:PORT of an existing server; its etcd is HOST:2379
	// ForceNewCluster makes a member that lost its peers the single member
	// of a new cluster, keeping its data (--cluster-reset).
	ForceNewCluster bool
	Report          func(string, ...any)

	ready chan struct{}
}

var _ lifecycle.Component = (*Etcd)(nil)

// Name implements lifecycle.Component.
func (e *Etcd) Name() string { return "datastore" }

// Client is how kube-apiserver reaches this member: over loopback.
func (e *Etcd) Client() Client { return LoopbackEtcd(e.TLS) }

// LoopbackEtcd is how a process on a server's host reaches its etcd
// member, with the server's own client identity in tls.
func LoopbackEtcd(tls EtcdTLS) Client {
	return Client{Endpoints: []string{fmt.Sprintf("https://127.0.0.1:%d", EtcdClientPort)},
		CAFile: tls.ServerCA, CertFile: tls.ClientCert, KeyFile: tls.ClientKey}
}

func (e *Etcd) peerURL() string {
	return "https://" + net.JoinHostPort(e.AdvertiseIP, fmt.Sprint(EtcdPeerPort))
}

// HasData reports whether dir holds an etcd member's data.
func HasData(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "member", "wal"))
	return err == nil
}

// Start settles the cluster membership (joining if needed) and runs etcd.
func (e *Etcd) Start(ctx context.Context) error {
	e.ready = make(chan struct{})
	cfg, err := e.config(ctx)
	if err != nil {
		return err
	}
	return e.Go(ctx, func(ctx context.Context) error {
		srv, err := embed.StartEtcd(cfg)
		if err != nil {
			return fmt.Errorf("etcd in %s: %w", e.Dir, err)
		}
		defer srv.Close()
		select {
		case <-srv.Server.ReadyNotify():
			if err := atomicfile.Write(e.peerURLFile(), []byte(e.peerURL()), 0o600); err != nil {
				return err
			}
			close(e.ready)
		case err := <-srv.Err():
			return fmt.Errorf("etcd: %w", err)
		case <-ctx.Done():
			return nil
		}
		dctx, stopDefrag := context.WithCancel(ctx)
		defer stopDefrag()
		go e.defragmenter(30 * time.Second).run(dctx)
		select {
		case <-ctx.Done():
			return nil
		case err := <-srv.Err():
			return fmt.Errorf("etcd: %w", err)
		case <-srv.Server.StopNotify():
			return errors.New("etcd member stopped (removed from the cluster?)")
		}
	})
}

// peerURLFile records, beside the member's data, the peer URL it last
// served at: its peers know it there.
func (e *Etcd) peerURLFile() string { return filepath.Join(e.Dir, "member", "shoal-peer-url") }

// checkAddress refuses to start a member whose host's address changed: its
// peers (and its own membership record) still have the old one, and etcd
// would fail to listen on it.
func (e *Etcd) checkAddress() error {
	was, err := os.ReadFile(e.peerURLFile())
	if err != nil || string(was) == e.peerURL() {
		return nil // none recorded yet (data from before this check, or a restored snapshot)
	}
	return fmt.Errorf("--advertise-address: this etcd member is known to its cluster at %s, but this host is now %s; "+
		"give the host its old address back (or start with --advertise-address set to it), or restore a snapshot under the new one: "+
		"shoal server --cluster-reset --cluster-reset-restore-path SNAPSHOT (docs/node.md, \"The node's address\")", was, e.peerURL())
}

// config builds etcd's configuration: restart on existing data, join an
// existing cluster, or start a new one.
func (e *Etcd) config(ctx context.Context) (*embed.Config, error) {
	if err := os.MkdirAll(e.Dir, 0o700); err != nil {
		return nil, err
	}
	if err := e.checkAddress(); err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name = e.Member
	cfg.Dir = e.Dir
	cfg.LogLevel = "warn"
	cfg.LogOutputs = []string{"stderr"}
	cfg.EnableGRPCGateway = false
	cfg.InitialClusterToken = "shoal"
	// Bounded like kine's SQLite file (issue 22): 30 s of history (the
	// apiserver still compacts to 5 minutes ago, a no-op then), a raft
	// snapshot every 1,000 entries so that WAL segments (walSegmentBytes
	// each, preallocated) are released and purged down to the newest one, and
	// 500 entries kept in memory for a slow follower (10,000 of 64 KB
	// ConfigMaps would be 640 MB of raft log in memory; a follower further
	// behind gets a snapshot).
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = "30s"
	cfg.SnapshotCount = 1000
	cfg.SnapshotCatchUpEntries = 500
	cfg.MaxWalFiles = 1
	cfg.ForceNewCluster = e.ForceNewCluster
	peer, _ := url.Parse(e.peerURL())
	cfg.ListenPeerUrls = []url.URL{*peer}
	cfg.AdvertisePeerUrls = []url.URL{*peer}
	local := url.URL{Scheme: "https", Host: fmt.Sprintf("127.0.0.1:%d", EtcdClientPort)}
	public := url.URL{Scheme: "https", Host: net.JoinHostPort(e.AdvertiseIP, fmt.Sprint(EtcdClientPort))}
	cfg.ListenClientUrls = []url.URL{local}
	if e.AdvertiseIP != "127.0.0.1" {
		cfg.ListenClientUrls = append(cfg.ListenClientUrls, public)
	}
	cfg.AdvertiseClientUrls = []url.URL{public}
	cfg.ClientTLSInfo = transport.TLSInfo{CertFile: e.TLS.ServingCert, KeyFile: e.TLS.ServingKey,
		TrustedCAFile: e.TLS.ServerCA, ClientCertAuth: true}
	cfg.PeerTLSInfo = transport.TLSInfo{CertFile: e.TLS.PeerCert, KeyFile: e.TLS.PeerKey,
		TrustedCAFile: e.TLS.PeerCA, ClientCertAuth: true}
	cfg.InitialCluster = e.Member + "=" + e.peerURL()
	cfg.ClusterState = embed.ClusterStateFlagNew
	if HasData(e.Dir) || e.Join == "" {
		return cfg, nil // a restart ignores the initial cluster; else a new one
	}
	initial, err := e.addSelf(ctx)
	if err != nil {
		return nil, fmt.Errorf("join etcd of %s: %w", e.Join, err)
	}
	cfg.InitialCluster = initial
	cfg.ClusterState = embed.ClusterStateFlagExisting
	return cfg, nil
}

// addSelf adds this member to the cluster of e.Join (unless an earlier
// attempt already did) and returns the initial-cluster string to start
// with.
func (e *Etcd) addSelf(ctx context.Context) (string, error) {
	u, err := url.Parse(e.Join)
	if err != nil {
		return "", err
	}
	endpoint := "https://" + net.JoinHostPort(u.Hostname(), fmt.Sprint(EtcdClientPort))
	cli, err := NewEtcdClient(ctx, Client{Endpoints: []string{endpoint}, CAFile: e.TLS.ServerCA,
		CertFile: e.TLS.ClientCert, KeyFile: e.TLS.ClientKey})
	if err != nil {
		return "", err
	}
	defer cli.Close()
	peer := e.peerURL()
	var members []*memberInfo
	deadline := time.Now().Add(time.Minute)
	for {
		members, err = ensureMember(ctx, cli, peer)
		if err == nil || time.Now().After(deadline) {
			break
		}
		// Another member may still be starting: etcd refuses to add one
		// more until it has caught up.
		e.report("etcd of %s refused the new member (%v); retrying", endpoint, err)
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	if err != nil {
		return "", fmt.Errorf("%s (is %s started with --cluster-init?)", err, e.Join)
	}
	var parts []string
	for _, m := range members {
		name := m.name
		if slices.Contains(m.peers, peer) {
			name = e.Member
		}
		for _, p := range m.peers {
			parts = append(parts, name+"="+p)
		}
	}
	e.report("etcd member %s (%s) added to the cluster of %s", e.Member, peer, endpoint)
	return strings.Join(parts, ","), nil
}

type memberInfo struct {
	name  string
	peers []string
}

// ensureMember adds peer as a voting member unless it is one already.
func ensureMember(ctx context.Context, cli *clientv3.Client, peer string) ([]*memberInfo, error) {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	list, err := cli.MemberList(cctx)
	if err != nil {
		return nil, err
	}
	raw := list.Members
	if !slices.ContainsFunc(raw, func(m *pb.Member) bool { return slices.Contains(m.PeerURLs, peer) }) {
		added, err := cli.MemberAdd(cctx, []string{peer})
		if err != nil {
			return nil, err
		}
		raw = added.Members
	}
	out := make([]*memberInfo, 0, len(raw))
	for _, m := range raw {
		out = append(out, &memberInfo{name: m.Name, peers: m.PeerURLs})
	}
	return out, nil
}

func (e *Etcd) report(format string, args ...any) {
	if e.Report != nil {
		e.Report(format, args...)
	}
}

// Ready waits until this member serves reads through its client URL.
func (e *Etcd) Ready(ctx context.Context) error {
	select {
	case <-e.ready:
	case <-e.Done():
		return e.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
	cli, err := NewEtcdClient(ctx, e.Client())
	if err != nil {
		return err
	}
	defer cli.Close()
	_, err = cli.Get(ctx, "/registry/health")
	return err
}

// Stop stops the member (it stays in the cluster, to come back).
func (e *Etcd) Stop(ctx context.Context) error { return e.Halt(ctx) }

// walSegmentBytes is the size of etcd's WAL segments: upstream's 64 MB,
// preallocated, with the next one preallocated too, is 128 MB of an edge
// device's flash before any data. A segment is cut once a write passes
// the size, so larger entries still fit.
const walSegmentBytes = 16 << 20

// SetProcessKnobs sets the process-wide variables of etcd's that the
// embedded member needs; call it once at process start, before Start.
func SetProcessKnobs() {
	// An exported knob of upstream's; its own tests set it the same way.
	wal.SegmentSizeBytes = walSegmentBytes
}
