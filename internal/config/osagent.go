package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
)

// OSAgent is `shoal os agent`: a machine that takes OS images but runs no
// kubelet. It joins like an agent and keeps its files where `shoal agent
// --os-boot-dir` keeps them.
type OSAgent struct {
	Server, Token    string
	NodeName, NodeIP string
	DataDir          string
	BootDir, GrubEnv string // the slots' file system; its GRUB environment block
	HealthCmd        string // sh -c; must succeed before a new slot is confirmed
	AgentPaths       AgentPaths
	OSImageDir       string // downloads and state: <data-dir>/agent/upgrade/os, as for `shoal agent`
}

// AddFlags registers the OS agent's flags.
func (o *OSAgent) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Server, "server", "", "Server URL, https://HOST:PORT")
	fs.StringVar(&o.Token, "token", "", "Join token")
	fs.StringVar(&o.NodeName, "node-name", "", "Node name")
	fs.StringVar(&o.NodeIP, "node-ip", "", "Node IPv4 address")
	fs.StringVarP(&o.DataDir, "data-dir", "d", DefaultDataDir, "Data directory (certificates, downloads)")
	fs.StringVar(&o.BootDir, "boot-dir", "/boot/shoal", "Mounted boot file system holding slots/a, slots/b")
	fs.StringVar(&o.GrubEnv, "grubenv", "", "GRUB environment block (default <boot-dir>/boot/grub/grubenv)")
	fs.StringVar(&o.HealthCmd, "health-cmd", "", "Command (sh -c) that must succeed before a new slot is confirmed")
}

// Complete checks the required flags and derives the paths.
func (o *OSAgent) Complete() error {
	for _, f := range []struct{ name, value string }{{"--server", o.Server}, {"--token", o.Token}, {"--node-name", o.NodeName}, {"--node-ip", o.NodeIP}} {
		if f.value == "" {
			return fmt.Errorf("%s is required", f.name)
		}
	}
	o.Server = strings.TrimSuffix(o.Server, "/")
	if o.GrubEnv == "" {
		o.GrubEnv = filepath.Join(o.BootDir, "boot", "grub", "grubenv")
	}
	o.AgentPaths = NewAgentPaths(o.DataDir)
	o.OSImageDir = OSImageDir(o.AgentPaths)
	return nil
}

// OSImageDir is where a node's OS image agent keeps its downloads and
// state, whichever command runs it.
func OSImageDir(p AgentPaths) string { return filepath.Join(p.Upgrade, "os") }
