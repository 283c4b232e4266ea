package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shoal-dev/shoal/internal/addons"
	"github.com/shoal-dev/shoal/internal/addons/deploy"
	"github.com/shoal-dev/shoal/internal/addons/gitops"
	"github.com/shoal-dev/shoal/internal/addons/helm"
	"github.com/shoal-dev/shoal/internal/addons/localpath"
	"github.com/shoal-dev/shoal/internal/addons/metricsserver"
	"github.com/shoal-dev/shoal/internal/addons/servicelb"
	"github.com/shoal-dev/shoal/internal/bootstrap"
	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/controlplane"
	"github.com/shoal-dev/shoal/internal/datastore"
	"github.com/shoal-dev/shoal/internal/encryption"
	"github.com/shoal-dev/shoal/internal/flock"
	"github.com/shoal-dev/shoal/internal/join"
	"github.com/shoal-dev/shoal/internal/kubeconfig"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/node"
	"github.com/shoal-dev/shoal/internal/nodeclaim"
	"github.com/shoal-dev/shoal/internal/osimage"
	"github.com/shoal-dev/shoal/internal/service"
	"github.com/shoal-dev/shoal/internal/snapshot"
	"github.com/shoal-dev/shoal/internal/supervisor"
	"github.com/shoal-dev/shoal/internal/token"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// Run starts the control plane and blocks until ctx ends or a component
// fails; it always stops what it started. cfg must be Completed.
func Run(ctx context.Context, cfg *config.Server, out io.Writer) error {
	start := time.Now()
	report := func(format string, args ...any) {
		fmt.Fprintf(out, "shoal: "+format+"\n", args...)
	}
	unlock, err := flock.Acquire(cfg.Paths.ServerDir, "--data-dir", "another shoal server")
	if err != nil {
		return err
	}
	defer unlock()
	if cfg.ClusterReset {
		return clusterReset(ctx, cfg, report)
	}

	if err := joinCluster(ctx, cfg, report); err != nil {
		return err
	}
	t0 := time.Now()
	c, issued, err := certs.Ensure(cfg, t0)
	if err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	admin, err := writeComponentKubeconfigs(cfg, c)
	if err != nil {
		return err
	}
	report("certificates ready in %s (%d issued, the rest reused) (%.2fs)", cfg.Paths.TLSDir, issued, time.Since(t0).Seconds())

	if err := writeStartFiles(cfg, c, report); err != nil {
		return err
	}
	tok, nodePassword, sup, err := joinEndpoint(cfg, c, admin, report)
	if err != nil {
		return err
	}
	ds := newDatastore(cfg, c, report)
	components := []lifecycle.Component{
		ds,
		// Sealed with the token, so that snapshots carry the cluster's CAs.
		&bootstrap.Store{Datastore: ds.Client(), Credential: tok.Credential, Files: bootstrapFiles(cfg, c)},
		// First, so a busy port fails start-up at once and the egress
		// socket exists before kube-apiserver dials through it.
		sup,
	}
	plane, err := controlPlane(cfg, c, ds, admin, report)
	if err != nil {
		return err
	}
	var stack *node.Stack
	if cfg.DisableAgent {
		components = append(components, plane...)
	} else {
		releaseAgent, err := flock.Acquire(cfg.AgentPaths.Dir, "--data-dir", "another shoal agent")
		if err != nil {
			return err
		}
		defer releaseAgent()
		if stack, err = localNode(cfg, c, report); err != nil {
			return err
		}
		claim, err := nodeclaim.NewLocal(admin, cfg.NodeName, cfg.NodeIP, nodePassword)
		if err != nil {
			return err
		}
		// containerd and the image import start with the control plane.
		components = append(components, stack.List(append(plane, claim)...)...)
	}
	runner := &lifecycle.Runner{Components: components, Report: report}
	return runner.Run(ctx, func() error {
		if cfg.WriteKubeconfig != "" {
			if err := writeUserKubeconfig(cfg, c); err != nil {
				return err
			}
			report("kubeconfig written to %s", cfg.WriteKubeconfig)
		}
		report("server ready in %.2fs: https://127.0.0.1:%d", time.Since(start).Seconds(), cfg.HTTPSListenPort)
		service.NotifyReady()
		if stack != nil {
			node.ReportReady(ctx, stack.Client, cfg.NodeName, start, report)
		}
		return nil
	})
}

// controlPlane is the control plane's components, after the datastore and
// the supervisor: kube-apiserver, the scheduler, the controller manager,
// cluster roles, the manifests, certificate renewal, the addon controllers
// and the snapshot schedule.
func controlPlane(cfg *config.Server, c *certs.Server, ds store, admin *rest.Config, report func(string, ...any)) ([]lifecycle.Component, error) {
	plane := []lifecycle.Component{
		controlplane.NewAPIServer(cfg, c, ds.Client(), admin),
		controlplane.NewScheduler(cfg),
		controlplane.NewControllerManager(cfg, c, admin),
		controlplane.NewRBAC(admin),
		deploy.New(cfg.Paths.Manifests, filepath.Join(cfg.Paths.EtcDir, "manifests-applied.json"), admin, report),
		&certs.Renewal{Dirs: []string{cfg.Paths.TLSDir, filepath.Join(cfg.Paths.TLSDir, "etcd")}},
	}
	controllers, err := addonControllers(cfg, c, admin, report)
	if err != nil {
		return nil, err
	}
	plane = append(plane, controllers...)
	if !cfg.DisableSnapshots {
		src := snapshot.Source{DBFile: cfg.Paths.DBFile}
		if cfg.Datastore == config.DatastoreEtcd {
			c := ds.Client()
			src = snapshot.Source{Etcd: &c}
		}
		plane = append(plane, &snapshot.Scheduler{Source: src, Dir: cfg.SnapshotDir,
			Node: cfg.NodeNameOrHost(), Spec: cfg.SnapshotCron, Retention: cfg.SnapshotRetention, Report: report})
	}
	return plane, nil
}

// writeStartFiles writes what the components read at start: the cluster
// file, the encryption config (with --secrets-encryption) and the addon
// manifests.
func writeStartFiles(cfg *config.Server, c *certs.Server, report func(string, ...any)) error {
	if err := config.WriteCluster(cfg.Paths.ClusterFile(), cfg.Cluster()); err != nil {
		return err
	}
	if cfg.SecretsEncryption {
		if _, created, err := encryption.Ensure(cfg.Paths.Encryption, cfg.EncryptionProvider, time.Now()); err != nil {
			return err
		} else if created {
			report("secrets encryption at rest on (%s), key in %s", cfg.EncryptionProvider, cfg.Paths.Encryption)
		}
	}
	serverCA, err := os.ReadFile(c.ServerCA.Cert)
	if err != nil {
		return err
	}
	written, err := addons.Write(cfg.Paths.Manifests, cfg.Disable, addons.Values{
		ClusterDNS: cfg.ClusterDNS, ClusterDomain: cfg.ClusterDomain, StorageDir: cfg.Paths.StorageDir,
		ServerCA: base64.StdEncoding.EncodeToString(serverCA), MetricsServerPort: metricsserver.Port})
	if err != nil {
		return fmt.Errorf("addons: %w", err)
	}
	if len(written) > 0 {
		report("addon manifests written to %s: %s", cfg.Paths.Manifests, strings.Join(written, ", "))
	}
	return nil
}

// joinEndpoint settles the server and agent tokens and this server's own
// node password, and builds the supervisor that serves joins with them.
func joinEndpoint(cfg *config.Server, c *certs.Server, admin *rest.Config, report func(string, ...any)) (token.Token, string, *supervisor.Supervisor, error) {
	caPEM, err := os.ReadFile(c.ServerCA.Cert)
	if err != nil {
		return token.Token{}, "", nil, err
	}
	tok, err := token.EnsureServer(cfg.Paths.TokenFile, cfg.Token, caPEM)
	if err != nil {
		return token.Token{}, "", nil, err
	}
	agentTok, err := token.EnsureAgent(cfg.Paths.AgentToken, cfg.AgentToken, caPEM)
	if err != nil {
		return token.Token{}, "", nil, err
	}
	var nodePassword string
	if !cfg.DisableAgent {
		if nodePassword, err = nodeclaim.Password(cfg.AgentPaths.Etc); err != nil {
			return token.Token{}, "", nil, err
		}
	}
	sup, err := newSupervisor(cfg, c, tok, agentTok, admin, nodePassword, report)
	return tok, nodePassword, sup, err
}

// store is a datastore component and how kube-apiserver reaches it.
type store interface {
	lifecycle.Component
	Client() datastore.Client
}

// newDatastore builds the datastore cfg.Datastore names.
func newDatastore(cfg *config.Server, c *certs.Server, report func(string, ...any)) store {
	switch cfg.Datastore {
	case config.DatastoreEtcd:
		return &datastore.Etcd{Member: etcdMemberName(cfg), Dir: cfg.Paths.EtcdDir, AdvertiseIP: cfg.AdvertiseAddress,
			TLS: etcdTLS(c), Join: cfg.JoinServer, Report: report}
	case config.DatastoreKine:
		k := datastore.NewExternal(cfg.DatastoreEndpoint, cfg.Paths.KineSocket)
		k.Report = report
		return k
	case config.DatastoreExternalEtcd:
		return &datastore.Remote{To: datastore.Client{Endpoints: strings.Split(cfg.DatastoreEndpoint, ","),
			CAFile: cfg.DatastoreCAFile, CertFile: cfg.DatastoreCertFile, KeyFile: cfg.DatastoreKeyFile}}
	default:
		k := datastore.NewKine(cfg.Paths.DBFile, cfg.Paths.KineSocket)
		k.Report = report
		return k
	}
}

// etcdMemberName is unique per server even where servers share a host
// name: the name and a hash of the advertise address.
func etcdMemberName(cfg *config.Server) string {
	sum := sha256.Sum256([]byte(cfg.AdvertiseAddress))
	return cfg.NodeNameOrHost() + "-" + hex.EncodeToString(sum[:4])
}

func etcdTLS(c *certs.Server) datastore.EtcdTLS {
	return datastore.EtcdTLS{
		ServerCA: c.EtcdServerCA.Cert, ServingCert: c.EtcdServing.Cert, ServingKey: c.EtcdServing.Key,
		PeerCA: c.EtcdPeerCA.Cert, PeerCert: c.EtcdPeer.Cert, PeerKey: c.EtcdPeer.Key,
		ClientCert: c.EtcdClient.Cert, ClientKey: c.EtcdClient.Key,
	}
}

// joinCluster fetches the cluster's CAs, keys and token from --server the
// first time this server starts (it then issues its own certificates from
// those CAs, on the shared datastore).
func joinCluster(ctx context.Context, cfg *config.Server, report func(string, ...any)) error {
	if cfg.JoinServer == "" {
		return nil
	}
	if _, err := os.Stat(certs.Layout(cfg.Paths).ServerCA.Cert); err == nil {
		return nil
	}
	tok, err := token.Parse(cfg.Token)
	if err != nil {
		return fmt.Errorf("--token: %w", err)
	}
	n, err := join.ServerBootstrap(ctx, cfg.JoinServer, tok, cfg.DataDir, report)
	if err != nil {
		return fmt.Errorf("join %s: %w", cfg.JoinServer, err)
	}
	report("joined the cluster of %s: %d bootstrap files written", cfg.JoinServer, n)
	return nil
}

// bootstrapFiles are what a joining server receives, by path relative to
// the data dir.
func bootstrapFiles(cfg *config.Server, c *certs.Server) map[string]string {
	out := map[string]string{}
	for _, abs := range []string{c.ServerCA.Cert, c.ServerCA.Key, c.ClientCA.Cert, c.ClientCA.Key,
		c.RequestHeaderCA.Cert, c.RequestHeaderCA.Key, c.KubeletServingCA.Cert, c.KubeletServingCA.Key, c.ServiceAccountKey,
		c.EtcdServerCA.Cert, c.EtcdServerCA.Key, c.EtcdPeerCA.Cert, c.EtcdPeerCA.Key, cfg.Paths.Encryption, cfg.Paths.TokenFile, cfg.Paths.AgentToken} {
		if rel, err := filepath.Rel(cfg.DataDir, abs); err == nil {
			out[rel] = abs
		}
	}
	return out
}

// newSupervisor settles the server token (written to server/token) and
// builds the public port's server.
func newSupervisor(cfg *config.Server, c *certs.Server, tok, agentTok token.Token, admin *rest.Config, nodePassword string, report func(string, ...any)) (*supervisor.Supervisor, error) {
	client, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	return supervisor.New(supervisor.Config{
		ListenAddr:     net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.HTTPSListenPort)),
		APIServer:      fmt.Sprintf("https://127.0.0.1:%d", cfg.APIServerPort),
		Advertise:      net.JoinHostPort(cfg.AdvertiseAddress, strconv.Itoa(cfg.HTTPSListenPort)),
		Certs:          c,
		ServerCred:     tok.Credential,
		TokenFile:      cfg.Paths.TokenFile,
		AgentCred:      agentTok.Credential,
		AgentFile:      cfg.Paths.AgentToken,
		Cluster:        cfg.Cluster(),
		Client:         client,
		EgressSocket:   cfg.Paths.EgressSocket,
		BootstrapFiles: bootstrapFiles(cfg, c),
		UpgradesDir:    cfg.Paths.Upgrades,
		LocalNode:      localNodeName(cfg),
		LocalNodeHash:  nodeclaim.Hash(nodePassword),
		Report:         report,
	}), nil
}

// localNode issues the local node's certificates and builds its stack.
func localNode(cfg *config.Server, c *certs.Server, report func(string, ...any)) (*node.Stack, error) {
	nc, issued, err := certs.EnsureNode(c, cfg.AgentPaths.TLS, cfg.NodeName, cfg.NodeIP, time.Now())
	if err != nil {
		return nil, fmt.Errorf("node certificates: %w", err)
	}
	if issued > 0 {
		report("node certificates for %s issued in %s", cfg.NodeName, cfg.AgentPaths.TLS)
	}
	stack, err := node.New(&node.Config{Agent: cfg.Agent, Cluster: cfg.Cluster(), Certs: nc,
		Role: cfg.Role()}, report)
	if err != nil {
		return nil, err
	}
	stack.Components = append(stack.Components, node.Upgraders(cfg.Agent, stack, upgrade.FromDir(cfg.Paths.Upgrades), report)...)
	return stack, nil
}

// writeComponentKubeconfigs writes the kubeconfigs the in-process
// components read, and returns the admin REST config shoal itself uses.
func writeComponentKubeconfigs(cfg *config.Server, c *certs.Server) (*rest.Config, error) {
	// shoal's own components talk to kube-apiserver directly, not through
	// the supervisor.
	server := fmt.Sprintf("https://127.0.0.1:%d", cfg.APIServerPort)
	for name, pair := range map[string]certs.Pair{
		"admin":          c.Admin,
		"controller":     c.ControllerMgr,
		"scheduler":      c.Scheduler,
		"metrics-server": c.MetricsServer,
	} {
		kc := kubeconfig.Client{Server: server, CAFile: c.ServerCA.Cert, CertFile: pair.Cert, KeyFile: pair.Key}
		if err := kubeconfig.Write(cfg.Paths.Cred(name), kc, false, 0o600); err != nil {
			return nil, err
		}
	}
	admin, err := clientcmd.BuildConfigFromFlags("", cfg.Paths.Cred("admin"))
	if err != nil {
		return nil, fmt.Errorf("admin kubeconfig: %w", err)
	}
	admin.UserAgent = "shoal"
	return admin, nil
}

// writeUserKubeconfig writes the admin kubeconfig with embedded
// credentials, readable by whoever --write-kubeconfig-mode allows.
func writeUserKubeconfig(cfg *config.Server, c *certs.Server) error {
	kc := kubeconfig.Client{
		Server:   fmt.Sprintf("https://127.0.0.1:%d", cfg.HTTPSListenPort),
		CAFile:   c.ServerCA.Cert,
		CertFile: c.Admin.Cert,
		KeyFile:  c.Admin.Key,
	}
	return kubeconfig.Write(cfg.WriteKubeconfig, kc, true, cfg.KubeconfigMode)
}

func localNodeName(cfg *config.Server) string {
	if cfg.DisableAgent {
		return ""
	}
	return cfg.NodeName
}

// addonControllers are the in-process addons that are not disabled.
func addonControllers(cfg *config.Server, c *certs.Server, admin *rest.Config, report func(string, ...any)) ([]lifecycle.Component, error) {
	client, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	out := []lifecycle.Component{helm.New(admin, cfg.Paths.Cred("admin"), cfg.Paths.Manifests),
		&upgrade.Controller{LocalNode: localNodeName(cfg), Client: client, Dynamic: dyn, Report: report},
		&osimage.Controller{Client: client, Dynamic: dyn, Report: report},
		&gitops.Controller{Admin: admin, Labels: cfg.ClusterLabelSet, Dir: cfg.Paths.GitOps, Report: report}}
	if !slices.Contains(cfg.Disable, "servicelb") {
		out = append(out, servicelb.New(client))
	}
	if !slices.Contains(cfg.Disable, "local-storage") {
		out = append(out, localpath.New(client, localNodeName(cfg), cfg.Paths.StorageDir))
	}
	if !slices.Contains(cfg.Disable, "metrics-server") {
		out = append(out, metricsserver.New(client, metricsserver.Files{
			Kubeconfig: cfg.Paths.Cred("metrics-server"), KubeletCA: c.KubeletServingCA.Cert,
			ServingCert: c.MetricsServing.Cert, ServingKey: c.MetricsServing.Key,
		}, cfg.AdvertiseAddress, cfg.NodeNameOrHost(), cfg.Verbosity))
	}
	return out, nil
}
