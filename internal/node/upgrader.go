package node

import (
	"path/filepath"
	"time"

	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/osimage"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// Upgraders are the node's sides of shoal upgrades (package upgrade) and,
// with --os-boot-dir, of OS images (package osimage, GRUB backend; a new
// slot is confirmed once the node is Ready), with the node's identity; and
// the renewal of its certificates (a restart near their expiry).
func Upgraders(a config.Agent, s *Stack, fetch upgrade.Fetch, report func(string, ...any)) []lifecycle.Component {
	out := []lifecycle.Component{&upgrade.Upgrader{Client: s.Client, Dynamic: s.Dynamic, NodeName: a.NodeName, Dir: a.AgentPaths.Upgrade,
		Fetch: fetch, Deadline: 5 * time.Minute, Report: report},
		// Re-issued at start, through the join protocol.
		&certs.Renewal{Dirs: []string{a.AgentPaths.TLS}}}
	if a.OSBootDir != "" {
		out = append(out, &osimage.Agent{Client: s.Client, Dynamic: s.Dynamic, NodeName: a.NodeName,
			Slots: osimage.Grub{Root: a.OSBootDir, Env: filepath.Join(a.OSBootDir, "boot", "grub", "grubenv")},
			Dir:   config.OSImageDir(a.AgentPaths), Fetch: fetch, NodeReady: true, Report: report})
	}
	return out
}
