package cli

import (
	"context"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/agent"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/configfile"
)

func newAgentCommand() *cobra.Command {
	cfg := &config.AgentCommand{}
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run a node (containerd, kubelet, kube-proxy, flannel) for the local server's data dir",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			explicit := cmd.Flags().Changed("config")
			if err := configfile.Apply(cmd.Flags(), cfg.ConfigFile, explicit); err != nil {
				return err
			}
			if err := cfg.Complete(); err != nil {
				return err
			}
			prepareInProcessComponents()
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				stop()
			}()
			return agent.Run(ctx, cfg, cmd.OutOrStdout())
		},
	}
	cfg.AddFlags(cmd.Flags())
	return cmd
}
