package config

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// Cluster is what a server tells its agents about the cluster: written by
// the server into <data-dir>/server/etc/cluster.json at each start, read by
// `shoal agent` on the same data dir (remote agents will get it from the
// join protocol).
type Cluster struct {
	ServerURL     string `json:"serverURL"`
	ClusterCIDR   string `json:"clusterCIDR"`
	ServiceCIDR   string `json:"serviceCIDR"`
	ClusterDNS    string `json:"clusterDNS"`
	ClusterDomain string `json:"clusterDomain"`
}

// ClusterFile is where the server writes its Cluster.
func (p Paths) ClusterFile() string { return filepath.Join(p.EtcDir, "cluster.json") }

// Cluster is this server's Cluster.
func (s *Server) Cluster() Cluster {
	return Cluster{
		ServerURL:     fmt.Sprintf("https://127.0.0.1:%d", s.APIServerPort),
		ClusterCIDR:   s.ClusterCIDR,
		ServiceCIDR:   s.ServiceCIDR,
		ClusterDNS:    s.ClusterDNS,
		ClusterDomain: s.ClusterDomain,
	}
}

// WriteCluster writes c atomically.
func WriteCluster(path string, c Cluster) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o600)
}

// ReadCluster reads what a server wrote.
func ReadCluster(path string) (Cluster, error) {
	var c Cluster
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("--data-dir: no shoal server has run here (%w)", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// AgentCommand is the configuration of `shoal agent`.
type AgentCommand struct {
	ConfigFile string
	DataDir    string
	Server     string // https://HOST:PORT of a server to join; empty: the server on this data dir
	Token      string
	TokenFile  string
	Agent
}

// AddFlags binds `shoal agent`'s flags.
func (a *AgentCommand) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&a.ConfigFile, "config", "c", DefaultConfigFile, "YAML file whose keys are long flag names; the command line wins")
	fs.StringVarP(&a.DataDir, "data-dir", "d", DefaultDataDir, "Directory holding the agent's state (without --server: the data dir of the local server to join)")
	fs.StringVarP(&a.Server, "server", "s", "", "Server to join, https://HOST:PORT (its --https-listen-port)")
	fs.StringVarP(&a.Token, "token", "t", "", "Join token: the server's <data-dir>/server/token or one from `shoal token create`")
	fs.StringVar(&a.TokenFile, "token-file", "", "File holding the --token value")
	a.Agent.AddFlags(fs)
}

// Complete validates the flags and derives paths.
func (a *AgentCommand) Complete() error {
	if a.DataDir == "" {
		return fmt.Errorf("--data-dir: must not be empty")
	}
	abs, err := filepath.Abs(a.DataDir)
	if err != nil {
		return fmt.Errorf("--data-dir %q: %w", a.DataDir, err)
	}
	a.DataDir = abs
	if err := a.completeJoin(); err != nil {
		return err
	}
	return a.Agent.Complete(abs)
}

func (a *AgentCommand) completeJoin() error {
	if a.Token != "" && a.TokenFile != "" {
		return fmt.Errorf("--token and --token-file: give one, not both")
	}
	if a.TokenFile != "" {
		tok, err := readTokenFile(a.TokenFile)
		if err != nil {
			return err
		}
		a.Token = tok
	}
	if a.Server == "" {
		if a.Token != "" {
			return fmt.Errorf("--token: needs --server (without it the agent joins the server on its own data dir)")
		}
		return nil
	}
	u, err := url.Parse(a.Server)
	if err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("--server %q: want https://HOST:PORT", a.Server)
	}
	a.Server = "https://" + u.Host
	if a.Token == "" {
		return fmt.Errorf("--token: required with --server (the server's token is in its <data-dir>/server/token)")
	}
	return nil
}
