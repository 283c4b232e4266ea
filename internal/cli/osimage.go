package cli

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/agent"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/osimage"
)

// newOSCommand groups the A/B OS image commands.
func newOSCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "os", Short: "A/B OS images: the node's OS agent and the GRUB boot switch"}
	var kernelArgs string
	grubCfg := &cobra.Command{
		Use:   "grub-cfg",
		Short: "Print the grub.cfg that boots slot a or b with boot counting (GRUB environment block)",
		Args:  cobra.NoArgs,
		Run:   func(cmd *cobra.Command, _ []string) { fmt.Fprint(cmd.OutOrStdout(), osimage.Script(kernelArgs)) },
	}
	grubCfg.Flags().StringVar(&kernelArgs, "kernel-args", "console=ttyS0 panic=5", "Kernel command line after shoal.slot=")
	cmd.AddCommand(grubCfg, newOSAgentCommand())
	return cmd
}

// newOSAgentCommand runs only the OS image agent: for a machine that takes
// OS images but runs no kubelet (the agent of `shoal agent` is the same).
func newOSAgentCommand() *cobra.Command {
	cfg := &config.OSAgent{}
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Join as a node and install the OSImages it is targeted at (GRUB backend)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Complete(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return agent.RunOS(ctx, cfg, func(format string, args ...any) {
				fmt.Fprintf(cmd.OutOrStdout(), "shoal: "+format+"\n", args...)
			})
		},
	}
	cfg.AddFlags(cmd.Flags())
	return cmd
}
