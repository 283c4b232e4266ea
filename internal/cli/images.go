package cli

import (
	"fmt"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/node"
)

func newImagesCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "images", Short: "Manage the node's container images"}
	imp := &cobra.Command{
		Use:   "import FILE...",
		Short: "Import OCI or docker-archive tarballs (optionally gzipped) into the running node",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			socket := containerdAddress()
			c, err := client.New(socket, client.WithTimeout(5*time.Second))
			if err != nil {
				return fmt.Errorf("containerd at %s (set CONTAINERD_ADDRESS): %w", socket, err)
			}
			defer c.Close()
			for _, f := range args {
				names, err := node.ImportFile(cmd.Context(), c, f)
				if err != nil {
					return err
				}
				for _, n := range names {
					fmt.Fprintf(cmd.OutOrStdout(), "imported %s\n", n)
				}
			}
			return nil
		},
	}
	cmd.AddCommand(imp)
	return cmd
}
