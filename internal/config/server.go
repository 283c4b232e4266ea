package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/spf13/pflag"

	"github.com/shoal-dev/shoal/internal/addons"
)

// EncryptionProviders are the ciphers --secrets-encryption offers (both
// take 32-byte keys); the first is the default.
var EncryptionProviders = []string{"aescbc", "secretbox"}

// Default locations, as K3s users expect them (with shoal's names).
const (
	DefaultDataDir         = "/var/lib/shoal"
	DefaultConfigFile      = "/etc/shoal/config.yaml"
	DefaultKubeconfigPath  = "/etc/shoal/shoal.yaml"
	DefaultHTTPSListenPort = 6443
)

// Server is the configuration of `shoal server`.
type Server struct {
	ConfigFile string

	DataDir          string
	HTTPSListenPort  int
	BindAddress      string
	AdvertiseAddress string
	TLSSANs          []string
	ClusterLabels    []string          // --cluster-label k=v, matched by GitRepo targets
	ClusterLabelSet  map[string]string // derived by Complete
	ClusterCIDR      string
	ServiceCIDR      string
	ClusterDNS       string
	ClusterDomain    string

	WriteKubeconfig     string
	WriteKubeconfigMode string
	Token               string // the server's join credential (or a full K10 token)
	AgentToken          string // the agents' join credential (--agent-token; default generated)
	SecretsEncryption   bool
	EncryptionProvider  string

	DatastoreEndpoint string // postgres://…, mysql://…, https://… (etcd); empty: SQLite or embedded etcd
	DatastoreCAFile   string // external etcd: CA of its serving certificate
	DatastoreCertFile string // external etcd: client certificate
	DatastoreKeyFile  string
	ClusterInit       bool   // start a new embedded etcd cluster
	JoinServer        string // --server: an existing server whose cluster this one joins
	SnapshotDir       string // default <data-dir>/server/db/snapshots
	SnapshotCron      string
	SnapshotRetention int
	DisableSnapshots  bool
	ClusterReset      bool
	RestorePath       string
	TokenFile         string
	// PodEvictionTimeout is how long a node may be NotReady or
	// unreachable before its pods are evicted; 0: never.
	PodEvictionTimeout time.Duration

	DisableAgent bool
	Disable      []string // addons not to deploy
	Agent                 // the local node, unless DisableAgent

	ExtraAPIServerArgs         []string
	ExtraControllerManagerArgs []string
	ExtraSchedulerArgs         []string

	// Derived by Complete.
	Datastore      DatastoreKind
	Paths          Paths
	ServiceNet     *net.IPNet
	ClusterNet     *net.IPNet
	APIServerIP    net.IP // first address of the service CIDR: kubernetes.default
	APIServerPort  int    // kube-apiserver's own port, behind the supervisor: --https-listen-port + 1
	KubeconfigMode os.FileMode
	// advertiseFromRoute: --advertise-address was not given.
	advertiseFromRoute bool
}

// AddFlags binds every server flag to s, with K3s's spelling.
func (s *Server) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&s.ConfigFile, "config", "c", DefaultConfigFile, "YAML file whose keys are long flag names; the command line wins")
	fs.StringVarP(&s.DataDir, "data-dir", "d", DefaultDataDir, "Directory holding all of shoal's state")
	fs.IntVar(&s.HTTPSListenPort, "https-listen-port", DefaultHTTPSListenPort, "Port of the supervisor: the Kubernetes API and the join endpoints (kube-apiserver itself listens on the next port)")
	fs.StringVar(&s.BindAddress, "bind-address", "0.0.0.0", "Address the Kubernetes API binds to")
	fs.StringVar(&s.AdvertiseAddress, "advertise-address", "", "Address advertised to the cluster (default: the IP of the default-route interface)")
	fs.StringArrayVar(&s.ClusterLabels, "cluster-label", nil, "Label of this cluster, key=value (repeatable): GitRepo targets select clusters by them")
	fs.StringSliceVar(&s.TLSSANs, "tls-san", nil, "Extra hostname or IP in the API serving certificate (repeatable)")
	fs.StringVar(&s.ClusterCIDR, "cluster-cidr", "10.42.0.0/16", "Pod network CIDR")
	fs.StringVar(&s.ServiceCIDR, "service-cidr", "10.43.0.0/16", "Service network CIDR")
	fs.StringVar(&s.ClusterDNS, "cluster-dns", "", "Cluster DNS service IP (default: the 10th address of --service-cidr)")
	fs.StringVar(&s.ClusterDomain, "cluster-domain", "cluster.local", "Cluster domain")
	fs.StringVarP(&s.WriteKubeconfig, "write-kubeconfig", "o", DefaultKubeconfigPath, "Write the admin kubeconfig to this file")
	fs.StringVar(&s.WriteKubeconfigMode, "write-kubeconfig-mode", "0600", "File mode of the written kubeconfig, in octal")
	fs.StringVarP(&s.Token, "token", "t", "", "Shared secret agents join with (default: generated, kept in <data-dir>/server/token)")
	fs.StringVar(&s.TokenFile, "token-file", "", "File holding the --token value")
	fs.StringVar(&s.AgentToken, "agent-token", "", "Shared secret agents join with, which cannot join servers nor read the cluster's keys (default: generated, kept in <data-dir>/server/agent-token)")
	fs.StringVarP(&s.JoinServer, "server", "s", "", "Join the cluster of this server (https://HOST:PORT) as another server; with embedded etcd, or on a shared --datastore-endpoint; needs --token")
	fs.BoolVar(&s.ClusterInit, "cluster-init", false, "Start a new cluster on embedded etcd, which other servers join with --server (default: SQLite)")
	fs.StringVar(&s.DatastoreEndpoint, "datastore-endpoint", "", "External datastore: postgres://USER:PASS@HOST:PORT/DB, mysql://USER:PASS@tcp(HOST:PORT)/DB or https://ETCD:2379[,https://…] (default: SQLite in the data dir)")
	fs.StringVar(&s.DatastoreCAFile, "datastore-cafile", "", "CA certificate of an https:// --datastore-endpoint (default: the system's roots)")
	fs.StringVar(&s.DatastoreCertFile, "datastore-certfile", "", "Client certificate for an https:// --datastore-endpoint")
	fs.StringVar(&s.DatastoreKeyFile, "datastore-keyfile", "", "Client key for an https:// --datastore-endpoint")
	fs.StringVar(&s.SnapshotDir, "etcd-snapshot-dir", "", "Directory of datastore snapshots (default: <data-dir>/server/db/snapshots)")
	fs.StringVar(&s.SnapshotCron, "etcd-snapshot-schedule-cron", "0 */12 * * *", "When to take scheduled snapshots (cron, five fields)")
	fs.IntVar(&s.SnapshotRetention, "etcd-snapshot-retention", 5, "How many scheduled snapshots to keep")
	fs.DurationVar(&s.PodEvictionTimeout, "pod-eviction-timeout", 5*time.Minute,
		"How long a node may be NotReady or unreachable before its pods are evicted (the tolerations given to pods that set none); 0: never, pods wait for their node however long its link is down")
	fs.BoolVar(&s.DisableSnapshots, "etcd-disable-snapshots", false, "Take no scheduled snapshots")
	fs.BoolVar(&s.ClusterReset, "cluster-reset", false, "Restore the datastore from --cluster-reset-restore-path, then exit")
	fs.StringVar(&s.RestorePath, "cluster-reset-restore-path", "", "Snapshot to restore with --cluster-reset")
	fs.BoolVar(&s.SecretsEncryption, "secrets-encryption", false, "Encrypt Secrets at rest (then managed with `shoal secrets-encrypt`)")
	fs.StringVar(&s.EncryptionProvider, "secrets-encryption-provider", EncryptionProviders[0], "Cipher of --secrets-encryption: "+strings.Join(EncryptionProviders, " or "))
	fs.BoolVar(&s.DisableAgent, "disable-agent", false, "Run only the control plane, no local node")
	fs.StringSliceVar(&s.Disable, "disable", nil, "Addon not to deploy (and to remove if deployed): "+strings.Join(addons.Names, ", ")+" (repeatable)")
	fs.StringArrayVar(&s.ExtraAPIServerArgs, "kube-apiserver-arg", nil, "Extra kube-apiserver flag as key=value (repeatable, wins over shoal's)")
	fs.StringArrayVar(&s.ExtraControllerManagerArgs, "kube-controller-manager-arg", nil, "Extra kube-controller-manager flag as key=value (repeatable)")
	fs.StringArrayVar(&s.ExtraSchedulerArgs, "kube-scheduler-arg", nil, "Extra kube-scheduler flag as key=value (repeatable)")
	s.Agent.AddFlags(fs)
}

// Complete validates s and fills the derived fields. Every error names the
// flag (or config key, which is the same word) and what is expected.
func (s *Server) Complete() error {
	if s.DataDir == "" {
		return fmt.Errorf("--data-dir: must not be empty")
	}
	abs, err := filepath.Abs(s.DataDir)
	if err != nil {
		return fmt.Errorf("--data-dir %q: %w", s.DataDir, err)
	}
	s.DataDir = abs
	s.Paths = NewPaths(abs)
	if s.HTTPSListenPort < 1 || s.HTTPSListenPort > 65534 {
		return fmt.Errorf("--https-listen-port %d: must be between 1 and 65534 (kube-apiserver takes the next port)", s.HTTPSListenPort)
	}
	s.APIServerPort = s.HTTPSListenPort + 1
	if s.ClusterLabelSet, err = labelSet(s.ClusterLabels); err != nil {
		return err
	}
	if s.Token != "" && s.TokenFile != "" {
		return fmt.Errorf("--token and --token-file: give one, not both")
	}
	if err := s.completeDatastore(); err != nil {
		return err
	}
	if err := s.completeSnapshots(); err != nil {
		return err
	}
	if !slices.Contains(EncryptionProviders, s.EncryptionProvider) {
		return fmt.Errorf("--secrets-encryption-provider %q: want %s", s.EncryptionProvider, strings.Join(EncryptionProviders, " or "))
	}
	if s.TokenFile != "" {
		if s.Token, err = readTokenFile(s.TokenFile); err != nil {
			return err
		}
	}
	if net.ParseIP(s.BindAddress) == nil {
		return fmt.Errorf("--bind-address %q: not an IP address", s.BindAddress)
	}
	if err := s.completeAddresses(); err != nil {
		return err
	}
	mode, err := strconv.ParseUint(s.WriteKubeconfigMode, 8, 32)
	if err != nil || mode > 0o777 {
		return fmt.Errorf("--write-kubeconfig-mode %q: must be an octal file mode such as 0600 or 0644", s.WriteKubeconfigMode)
	}
	s.KubeconfigMode = os.FileMode(mode)
	if s.WriteKubeconfig != "" {
		if s.WriteKubeconfig, err = filepath.Abs(s.WriteKubeconfig); err != nil {
			return fmt.Errorf("--write-kubeconfig: %w", err)
		}
	}
	for flag, args := range map[string][]string{
		"kube-apiserver-arg":          s.ExtraAPIServerArgs,
		"kube-controller-manager-arg": s.ExtraControllerManagerArgs,
		"kube-scheduler-arg":          s.ExtraSchedulerArgs,
	} {
		if err := ValidateExtraArgs(flag, args); err != nil {
			return err
		}
	}
	if err := addons.Validate(s.Disable); err != nil {
		return err
	}
	if s.Profile == ProfileCIS {
		s.SecretsEncryption = true
	}
	if err := s.detectBox(); err != nil {
		return err
	}
	if err := s.Logging.Validate(); err != nil {
		return err
	}
	if s.DisableAgent {
		if s.Profile != "" && s.Profile != ProfileCIS {
			return fmt.Errorf("--profile %q: want cis (or none)", s.Profile)
		}
		return nil
	}
	follows := s.NodeIP == "" && s.advertiseFromRoute
	if s.NodeIP == "" {
		s.NodeIP = s.AdvertiseAddress
	}
	if err := s.Agent.Complete(s.DataDir); err != nil {
		return err
	}
	// An embedded etcd member is known to its peers at the address it
	// joined with: such a server keeps it (docs/node.md says what to run).
	s.NodeIPFollows = follows && s.Datastore != DatastoreEtcd
	return nil
}

// NodeNameOrHost names this server in snapshot file names: its node name,
// or the host name without a local node.
func (s *Server) NodeNameOrHost() string {
	if s.NodeName != "" {
		return s.NodeName
	}
	h, _ := os.Hostname()
	return strings.ToLower(h)
}

// completeDatastore settles which datastore this server runs and checks
// the joining of another server.
func (s *Server) completeDatastore() error {
	if err := s.datastoreKind(); err != nil {
		return err
	}
	if s.JoinServer != "" {
		if s.Token == "" && s.TokenFile == "" {
			return fmt.Errorf("--server: needs --token, the first server's <data-dir>/server/token")
		}
		if u, err := url.Parse(s.JoinServer); err != nil || u.Scheme != "https" || u.Host == "" {
			return fmt.Errorf("--server %q: want https://HOST:PORT", s.JoinServer)
		}
	}
	if s.Datastore != DatastoreExternalEtcd && (s.DatastoreCAFile != "" || s.DatastoreCertFile != "" || s.DatastoreKeyFile != "") {
		return fmt.Errorf("--datastore-cafile/certfile/keyfile: only for an https:// (etcd) --datastore-endpoint")
	}
	if (s.DatastoreCertFile == "") != (s.DatastoreKeyFile == "") {
		return fmt.Errorf("--datastore-certfile and --datastore-keyfile: give both or neither")
	}
	for flag, f := range map[string]string{"datastore-cafile": s.DatastoreCAFile, "datastore-certfile": s.DatastoreCertFile, "datastore-keyfile": s.DatastoreKeyFile} {
		if _, err := os.Stat(f); f != "" && err != nil {
			return fmt.Errorf("--%s: %w", flag, err)
		}
	}
	if s.Datastore == DatastoreKine || s.Datastore == DatastoreExternalEtcd {
		if s.ClusterReset {
			return fmt.Errorf("--cluster-reset: restores shoal's own datastore; an external datastore has its own backups")
		}
		s.DisableSnapshots = true // snapshots are of shoal's own datastore
	}
	return nil
}

// datastoreKind derives Datastore from the flags and from the data dir: a
// server that once ran embedded etcd keeps running it.
func (s *Server) datastoreKind() error {
	e := s.DatastoreEndpoint
	if e == "" {
		s.Datastore = DatastoreSQLite
		if _, err := os.Stat(s.Paths.EtcdDir); s.ClusterInit || s.JoinServer != "" || err == nil {
			s.Datastore = DatastoreEtcd
		}
		return nil
	}
	if s.ClusterInit {
		return fmt.Errorf("--cluster-init: starts embedded etcd, so not with --datastore-endpoint")
	}
	scheme, _, ok := strings.Cut(e, "://")
	switch {
	case ok && (scheme == "postgres" || scheme == "postgresql" || scheme == "mysql"):
		s.Datastore = DatastoreKine
	case ok && scheme == "https":
		s.Datastore = DatastoreExternalEtcd
		for _, ep := range strings.Split(e, ",") {
			if u, err := url.Parse(ep); err != nil || u.Scheme != "https" || u.Host == "" {
				return fmt.Errorf("--datastore-endpoint %q: want https://HOST:PORT[,https://HOST:PORT…]", ep)
			}
		}
	case ok && scheme == "http":
		return fmt.Errorf("--datastore-endpoint: etcd without TLS is refused; use https:// with --datastore-cafile/certfile/keyfile")
	default:
		return fmt.Errorf("--datastore-endpoint: want postgres://…, mysql://… or https://… (etcd)")
	}
	return nil
}

func (s *Server) completeSnapshots() error {
	if s.SnapshotDir == "" {
		s.SnapshotDir = s.Paths.SnapshotDir()
	} else if abs, err := filepath.Abs(s.SnapshotDir); err == nil {
		s.SnapshotDir = abs
	}
	// The snapshot schedule is a standard five-field cron spec.
	if _, err := cron.ParseStandard(s.SnapshotCron); err != nil {
		return fmt.Errorf("--etcd-snapshot-schedule-cron %q: %w", s.SnapshotCron, err)
	}
	if s.SnapshotRetention < 1 {
		return fmt.Errorf("--etcd-snapshot-retention %d: must be at least 1", s.SnapshotRetention)
	}
	if s.PodEvictionTimeout < 0 || s.PodEvictionTimeout%time.Second != 0 {
		return fmt.Errorf("--pod-eviction-timeout %s: want whole seconds, 0 for never", s.PodEvictionTimeout)
	}
	if s.RestorePath != "" && !s.ClusterReset {
		return fmt.Errorf("--cluster-reset-restore-path: needs --cluster-reset")
	}
	if s.ClusterReset && s.RestorePath == "" && s.Datastore == DatastoreSQLite {
		return fmt.Errorf("--cluster-reset: with the SQLite datastore there is no membership to reset; give --cluster-reset-restore-path SNAPSHOT")
	}
	if s.RestorePath != "" {
		if _, err := os.Stat(s.RestorePath); err != nil {
			return fmt.Errorf("--cluster-reset-restore-path: %w", err)
		}
	}
	return nil
}

func (s *Server) completeAddresses() error {
	var err error
	if s.ClusterNet, err = parseCIDR("cluster-cidr", s.ClusterCIDR); err != nil {
		return err
	}
	if s.ServiceNet, err = parseCIDR("service-cidr", s.ServiceCIDR); err != nil {
		return err
	}
	if s.ServiceNet.Contains(s.ClusterNet.IP) || s.ClusterNet.Contains(s.ServiceNet.IP) {
		return fmt.Errorf("--service-cidr %s overlaps --cluster-cidr %s", s.ServiceCIDR, s.ClusterCIDR)
	}
	if s.APIServerIP, err = NthAddress(s.ServiceNet, 1); err != nil {
		return fmt.Errorf("--service-cidr %s: %w", s.ServiceCIDR, err)
	}
	if s.ClusterDNS == "" {
		dns, err := NthAddress(s.ServiceNet, 10)
		if err != nil {
			return fmt.Errorf("--service-cidr %s: %w", s.ServiceCIDR, err)
		}
		s.ClusterDNS = dns.String()
	} else if ip := net.ParseIP(s.ClusterDNS); ip == nil || !s.ServiceNet.Contains(ip) {
		return fmt.Errorf("--cluster-dns %q: must be an IP inside --service-cidr %s", s.ClusterDNS, s.ServiceCIDR)
	}
	if s.AdvertiseAddress == "" {
		s.advertiseFromRoute = true
		ip, err := DefaultRouteIP()
		if err != nil {
			return fmt.Errorf("--advertise-address: not given and %w", err)
		}
		s.AdvertiseAddress = ip.String()
	}
	ip := net.ParseIP(s.AdvertiseAddress)
	if ip == nil {
		return fmt.Errorf("--advertise-address %q: not an IP address", s.AdvertiseAddress)
	}
	if ip.IsLoopback() || ip.IsUnspecified() {
		return fmt.Errorf("--advertise-address %s: must be a routable address, not loopback or unspecified", ip)
	}
	for _, san := range s.TLSSANs {
		if san == "" {
			return fmt.Errorf("--tls-san: empty value")
		}
	}
	return nil
}

func parseCIDR(flag, v string) (*net.IPNet, error) {
	ip, n, err := net.ParseCIDR(v)
	if err != nil {
		return nil, fmt.Errorf("--%s %q: not a CIDR such as 10.42.0.0/16", flag, v)
	}
	if !ip.Equal(n.IP) {
		return nil, fmt.Errorf("--%s %q: host bits set, did you mean %s?", flag, v, n)
	}
	return n, nil
}

// DatastoreKind is where a server keeps the cluster's state.
type DatastoreKind string

// The datastores a server can run on.
const (
	DatastoreSQLite       DatastoreKind = "sqlite"        // kine over <data-dir>/server/db/state.db
	DatastoreEtcd         DatastoreKind = "etcd"          // embedded etcd (--cluster-init, or --server)
	DatastoreKine         DatastoreKind = "kine"          // kine over external PostgreSQL/MySQL
	DatastoreExternalEtcd DatastoreKind = "external-etcd" // an etcd cluster of the user's
)

// labelSet parses --cluster-label values.
func labelSet(kvs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, err := parseLabel(kv)
		if err != nil {
			return nil, fmt.Errorf("--cluster-label %q: %w", kv, err)
		}
		out[k] = v
	}
	return out, nil
}
