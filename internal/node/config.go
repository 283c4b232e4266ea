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
	// Budget and Fit come from the box (zero in a large one): containerd's
	// soft memory limit, and the kubelet's reservations for this role.
	Budget box.Budget
	Fit    box.KubeletSettings
}
