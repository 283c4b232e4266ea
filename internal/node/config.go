package node

import (
	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
)

// Config is what a node needs to know about itself and its cluster.
type Config struct {
	config.Agent
	config.Cluster
	Certs *certs.Node
}
