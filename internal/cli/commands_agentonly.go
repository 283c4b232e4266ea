//go:build agentonly

package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// serverCommands: the agent's binary has none (ADR 0013).
func serverCommands() []*cobra.Command { return nil }

// runAs: the agent's binary is never kubectl.
func runAs(string, []string) (int, bool) { return 0, false }

// installRoles: the agent's binary installs as an agent only.
func installRoles() map[string]func(*pflag.FlagSet) *string {
	return map[string]func(*pflag.FlagSet) *string{"agent": agentRole}
}
