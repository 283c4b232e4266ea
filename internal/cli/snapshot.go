//go:build !agentonly

package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/server"
	"github.com/shoal-dev/shoal/internal/snapshot"
)

func newSnapshotCommand() *cobra.Command {
	var dataDir, dir string
	snapDir := func() string {
		if dir != "" {
			return dir
		}
		return config.NewPaths(dataDir).SnapshotDir()
	}
	cmd := &cobra.Command{Use: "etcd-snapshot", Short: "Save, list, delete and prune datastore snapshots (restore: shoal server --cluster-reset --cluster-reset-restore-path FILE)"}
	cmd.PersistentFlags().StringVarP(&dataDir, "data-dir", "d", config.DefaultDataDir, "Data dir of the server")
	cmd.PersistentFlags().StringVar(&dir, "etcd-snapshot-dir", "", "Directory of snapshots (default: <data-dir>/server/db/snapshots)")
	var name string
	save := &cobra.Command{Use: "save", Short: "Take a consistent snapshot now (the server may be running)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := snapshot.Save(cmd.Context(), server.SnapshotSource(dataDir), snapDir(), name, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "snapshot saved: %s\n", path)
			return nil
		}}
	save.Flags().StringVar(&name, "name", "on-demand", "Name prefix of the snapshot (the Unix time is appended)")
	ls := &cobra.Command{Use: "ls", Aliases: []string{"list"}, Short: "List snapshots, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			all, err := snapshot.List(snapDir())
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tSIZE\tCREATED\tLOCATION")
			for _, s := range all {
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\n", s.Name, s.Size, s.Created.Format(time.RFC3339), s.Path)
			}
			return w.Flush()
		}}
	del := &cobra.Command{Use: "delete NAME...", Short: "Delete snapshots", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := snapshot.Delete(snapDir(), args...); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %d snapshot(s)\n", len(args))
			return nil
		}}
	var keep int
	var prefix string
	prune := &cobra.Command{Use: "prune", Short: "Keep the newest --snapshot-retention snapshots of a name prefix", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keep < 1 {
				return fmt.Errorf("--snapshot-retention %d: must be at least 1", keep)
			}
			deleted, err := snapshot.Prune(snapDir(), prefix, keep)
			for _, d := range deleted {
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", d)
			}
			return err
		}}
	prune.Flags().IntVar(&keep, "snapshot-retention", 5, "How many to keep")
	prune.Flags().StringVar(&prefix, "name", "on-demand", "Name prefix of the snapshots to prune")
	cmd.AddCommand(save, ls, del, prune)
	return cmd
}
