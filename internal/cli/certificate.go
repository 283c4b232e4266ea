//go:build !agentonly

package cli

import (
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/flock"
)

func newCertificateCommand() *cobra.Command {
	var dataDir string
	dirs := func() []string {
		p := config.NewPaths(dataDir)
		return []string{p.TLSDir, filepath.Join(p.TLSDir, "etcd"), config.NewAgentPaths(dataDir).TLS}
	}
	cmd := &cobra.Command{Use: "certificate", Short: "Check and rotate the server's and node's certificates"}
	cmd.PersistentFlags().StringVarP(&dataDir, "data-dir", "d", config.DefaultDataDir, "Data dir of the server or agent")
	check := &cobra.Command{
		Use: "check", Short: "List certificates with their expiry and what the next start does with them", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			files, err := certs.Inventory(dirs()...)
			if err != nil {
				return err
			}
			if len(files) == 0 {
				return fmt.Errorf("--data-dir %s: no certificates (has shoal run here?)", dataDir)
			}
			now := time.Now()
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "FILE\tSUBJECT\tEXPIRES\tDAYS LEFT\tSTATUS")
			for _, f := range files {
				fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", f.Path, f.Subject, f.NotAfter.Format(time.DateOnly),
					int(f.NotAfter.Sub(now).Hours()/24), f.Status(now))
			}
			return w.Flush()
		},
	}
	var services []string
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Set the leaf certificates (and keys) aside so the next start issues new ones from the same CAs",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, d := range []string{config.NewPaths(dataDir).ServerDir, config.NewAgentPaths(dataDir).Dir} {
				release, err := flock.Acquire(d, "--data-dir", "a running shoal (stop it first)")
				if err != nil {
					return err
				}
				defer release()
			}
			files, err := certs.Inventory(dirs()...)
			if err != nil {
				return err
			}
			backup := filepath.Join(dataDir, "tls-backup", time.Now().UTC().Format("20060102T150405Z"))
			moved, err := certs.Rotate(files, services, backup)
			for _, m := range moved {
				fmt.Fprintf(cmd.OutOrStdout(), "rotated %s\n", m)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d certificates set aside in %s; start shoal to issue new ones\n", len(moved), backup)
			return nil
		},
	}
	rotate.Flags().StringSliceVar(&services, "service", nil, "Only certificates whose file name contains this (e.g. kubelet, admin); repeatable")
	rotateCA := &cobra.Command{
		Use:   "rotate-ca",
		Short: "Replace the cluster's CAs with new ones cross-signed by the old (joined agents keep working); the server must be stopped",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := config.NewPaths(dataDir)
			release, err := flock.Acquire(p.ServerDir, "--data-dir", "a running shoal server (stop it first)")
			if err != nil {
				return err
			}
			defer release()
			backup := filepath.Join(dataDir, "tls-backup", time.Now().UTC().Format("20060102T150405Z"))
			rotated, err := certs.RotateCAs(certs.Layout(p), backup, time.Now())
			for _, r := range rotated {
				fmt.Fprintf(cmd.OutOrStdout(), "rotated %s\n", r)
			}
			if err != nil {
				return err
			}
			if len(rotated) == 0 {
				return fmt.Errorf("--data-dir %s: no server CAs (is this a server's data dir?)", dataDir)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "old CAs saved in %s; start the server: it re-issues every certificate, "+
				"joined agents keep working, new agents need the new token from %s\n", backup, p.TokenFile)
			return nil
		},
	}
	cmd.AddCommand(check, rotate, rotateCA)
	return cmd
}
