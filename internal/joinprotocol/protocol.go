package joinprotocol

import (
	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
)

// The paths a server's supervisor serves.
const (
	PathCACerts   = "/cacerts"
	PathPing      = "/ping"
	PathConfig    = "/v1-shoal/config"
	PathUpgrades  = "/v1-shoal/upgrades/" // + file: binaries Plans point nodes at
	PathNodeCerts = "/v1-shoal/node-certs"
	PathConnect   = "/v1-shoal/connect"
	PathBootstrap = "/v1-shoal/bootstrap"
)

// Bootstrap is what a joining server gets (server token only): the
// cluster's CAs and keys, the service-account key, the encryption config
// and the token, by path relative to the data dir.
type Bootstrap struct {
	Files map[string][]byte `json:"files"`
}

// AgentConfig is what GET /v1-shoal/config tells an agent.
type AgentConfig struct {
	Cluster config.Cluster `json:"cluster"`
	// Servers are the supervisor addresses (host:port) the agent's load
	// balancer may use.
	Servers []string `json:"servers"`
}

// NodeCertsRequest asks for a node's certificates. The node password binds
// the node name to the first agent that claimed it.
type NodeCertsRequest struct {
	NodeName     string                    `json:"nodeName"`
	NodeIP       string                    `json:"nodeIP"`
	NodePassword string                    `json:"nodePassword"`
	PublicKeys   map[certs.NodeCert]string `json:"publicKeys"` // PEM PKIX, one per certificate
}

// NodeCertsResponse carries the signed certificates (PEM chains) and the
// CAs the node trusts; KubeletServingCA is what signed its serving
// certificate (the node checks its certificates against it, nothing more).
type NodeCertsResponse struct {
	ServerCA         string                    `json:"serverCA"`
	ClientCA         string                    `json:"clientCA"`
	KubeletServingCA string                    `json:"kubeletServingCA"`
	Certs            map[certs.NodeCert]string `json:"certs"`
}
