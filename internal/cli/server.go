//go:build !agentonly

package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/box"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/server"
)

func newServerCommand() *cobra.Command {
	cfg := &config.Server{}
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the control plane and, unless --disable-agent, a local node",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConfigured(cmd, cfg.ConfigFile, cfg.Complete, func() (box.Box, box.Budget) { return cfg.Box, cfg.Budget() }, func(ctx context.Context) error {
				return server.Run(ctx, cfg, cmd.OutOrStdout())
			})
		},
	}
	cfg.AddFlags(cmd.Flags())
	return cmd
}
