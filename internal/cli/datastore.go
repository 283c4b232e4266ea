//go:build !agentonly

package cli

import (
	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/datastore"
)

func newDatastoreCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{Use: "datastore", Short: "Look at the server's datastore"}
	cmd.PersistentFlags().StringVarP(&dataDir, "data-dir", "d", config.DefaultDataDir, "Data dir of the server")
	status := &cobra.Command{Use: "status", Short: "Size on disk, data in use, live keys and history kept (SQLite: read-only, the server may run or not; etcd: from the running member)",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := datastore.LocalStatus(cmd.Context(), config.NewPaths(dataDir))
			if err != nil {
				return err
			}
			st.Print(cmd.OutOrStdout())
			return nil
		}}
	cmd.AddCommand(status)
	return cmd
}
