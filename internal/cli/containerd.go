package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	ctrapp "github.com/containerd/containerd/v2/cmd/ctr/app"

	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/containerd"
	"github.com/shoal-dev/shoal/internal/crictl"
)

// newCtrCommand is upstream ctr, defaulting to the agent's containerd and
// the Kubernetes namespace (k8s.io).
func newCtrCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "ctr",
		Short:              "Run the embedded containerd client (ctr) against this node's containerd",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			defaultEnv("CONTAINERD_ADDRESS", containerdAddress())
			defaultEnv("CONTAINERD_NAMESPACE", "k8s.io")
			if err := ctrapp.New().Run(context.Background(), append([]string{"ctr"}, args...)); err != nil {
				return fmt.Errorf("ctr: %w", err)
			}
			return nil
		},
	}
}

// containerdAddress is $CONTAINERD_ADDRESS, or the socket of the node in
// the default data dir.
func containerdAddress() string {
	if a := os.Getenv("CONTAINERD_ADDRESS"); a != "" {
		return a
	}
	return containerd.NewPaths(filepath.Join(config.DefaultDataDir, "agent")).Socket
}

func newCrictlCommand() *cobra.Command {
	return crictl.NewCommand(containerdAddress)
}
