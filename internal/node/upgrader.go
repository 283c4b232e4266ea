package node

import (
	"time"

	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// NewUpgrader is the node's side of shoal upgrades (package upgrade),
// with the node's own identity.
func NewUpgrader(a config.Agent, s *Stack, fetch upgrade.Fetch, report func(string, ...any)) *upgrade.Upgrader {
	return &upgrade.Upgrader{Client: s.Client, NodeName: a.NodeName, Dir: a.AgentPaths.Upgrade, Fetch: fetch,
		Deadline: 5 * time.Minute, Report: report}
}
