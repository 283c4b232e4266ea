//go:build !agentonly

package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/controlplane"
	"github.com/shoal-dev/shoal/internal/datastore"
	"github.com/shoal-dev/shoal/internal/server"
)

func newServerCommand() *cobra.Command {
	cfg := &config.Server{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the control plane and, unless --disable-agent, a local node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConfigured(cmd, cfg.ConfigFile, cfg.Complete, func() processSettings {
				return processSettings{Box: cfg.Box, Budget: cfg.Budget(), NodeName: cfg.NodeName, Logging: cfg.Logging, Upstream: func() {
					controlplane.SetProcessKnobs()
					datastore.SetProcessKnobs()
				}}
			}, func(ctx context.Context) error {
				return server.Run(ctx, cfg, cmd.OutOrStdout())
			})
		},
	}
	cfg.AddFlags(cmd.Flags())
	return cmd
}
