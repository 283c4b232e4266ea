package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/agent"
	"github.com/shoal-dev/shoal/internal/config"
)

func newAgentCommand() *cobra.Command {
	cfg := &config.AgentCommand{}
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a node (containerd, kubelet, kube-proxy, flannel) for the local server's data dir",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConfigured(cmd, cfg.ConfigFile, cfg.Complete, func() processSettings {
				return processSettings{Box: cfg.Box, Budget: cfg.Budget(), NodeName: cfg.NodeName, Logging: cfg.Logging}
			}, func(ctx context.Context) error {
				return agent.Run(ctx, cfg, cmd.OutOrStdout())
			})
		},
	}
	cfg.AddFlags(cmd.Flags())
	return cmd
}
