package node

import (
	"github.com/shoal-dev/shoal/internal/box"
	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
)

// Config is what a node needs to know about itself and its cluster.
type Config struct {
	config.Agent
	config.Cluster
	Certs *certs.Node
	// Role is what runs in this node's process: with Agent.Box it sets
	// containerd's soft memory limit and the kubelet's reservations.
	Role box.Role
}
