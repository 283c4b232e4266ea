package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/version"
)

// NewRoot is the `shoal` command with every subcommand of this build: the
// full binary, or the agent's (build tag agentonly, ADR 0013) without the
// control plane's commands.
func NewRoot() *cobra.Command {
	root := &cobra.Command{
		Use:           "shoal",
		Short:         "A lightweight, upstream-conformant Kubernetes in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
		// Upstream's verflag registers a global --version flag that cobra
		// shows on every command; make it print shoal's version.
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			if f := cmd.Flags().Lookup("version"); f != nil && f.Changed {
				fmt.Fprintln(cmd.OutOrStdout(), version.String())
				os.Exit(0)
			}
		},
		Run: func(cmd *cobra.Command, _ []string) { _ = cmd.Help() },
	}
	root.AddCommand(serverCommands()...)
	root.AddCommand(newAgentCommand(), newUpgradeWatchdogCommand(), newOSCommand(), newCheckConfigCommand(), newImagesCommand(), newCrictlCommand(), newCtrCommand(),
		newInstallCommand(installRoles()), newKillallCommand(), newUninstallCommand(), &cobra.Command{
			Use:   "version",
			Short: "Print shoal's and Kubernetes' versions",
			Args:  cobra.NoArgs,
			Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprintln(cmd.OutOrStdout(), version.String()) },
		})
	return root
}

// Main runs shoal with os.Args and returns the process exit code. Invoked
// through a symlink named kubectl, crictl or ctr, it behaves as that tool.
func Main() int {
	name := filepath.Base(os.Args[0])
	if code, ok := runAs(name, os.Args[1:]); ok {
		return code
	}
	root := NewRoot()
	// Invoked through the symlinks `shoal install` makes.
	if name == "crictl" || name == "ctr" {
		root.SetArgs(append([]string{name}, os.Args[1:]...))
	}
	if err := root.Execute(); err != nil {
		root.PrintErrln("Error: " + err.Error())
		return 1
	}
	return 0
}
