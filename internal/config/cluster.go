package config

import (
	"encoding/json"
	"fmt"
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
		ServerURL:     fmt.Sprintf("https://127.0.0.1:%d", s.HTTPSListenPort),
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
	Agent
}

// AddFlags binds `shoal agent`'s flags.
func (a *AgentCommand) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&a.ConfigFile, "config", "c", DefaultConfigFile, "YAML file whose keys are long flag names; the command line wins")
	fs.StringVarP(&a.DataDir, "data-dir", "d", DefaultDataDir, "Data dir of the local shoal server this node joins")
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
	return a.Agent.Complete(abs)
}
