//go:build agentonly

package cli

import "github.com/spf13/cobra"

// serverCommands: the agent's binary has none (ADR 0013).
func serverCommands() []*cobra.Command { return nil }

// runAs: the agent's binary is never kubectl.
func runAs(string, []string) (int, bool) { return 0, false }
