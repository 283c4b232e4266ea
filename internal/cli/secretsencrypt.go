//go:build !agentonly

package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"

	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/encryption"
)

func newSecretsEncryptCommand() *cobra.Command {
	env := &tokenEnv{}
	cmd := &cobra.Command{Use: "secrets-encrypt", Short: "Manage encryption of Secrets at rest on a running server",
		PersistentPreRun: func(*cobra.Command, []string) { env.paths = config.NewPaths(env.dataDir) }}
	cmd.PersistentFlags().StringVarP(&env.dataDir, "data-dir", "d", config.DefaultDataDir, "Data dir of the server")
	load := func() (*encryption.Config, error) { return encryption.Open(env.paths.Encryption) }
	// change runs step (encryption.Change or RotateKeys) with the server's
	// admin client, printing its progress.
	change := func(cmd *cobra.Command, step func(context.Context, kubernetes.Interface, func(string, ...any)) error) error {
		client, err := env.client()
		if err != nil {
			return err
		}
		return step(cmd.Context(), client, func(format string, args ...any) {
			fmt.Fprintf(cmd.OutOrStdout(), format+"\n", args...)
		})
	}
	apply := func(cmd *cobra.Command, c *encryption.Config) error {
		return change(cmd, func(ctx context.Context, client kubernetes.Interface, report func(string, ...any)) error {
			return encryption.Change(ctx, client, c, true, report)
		})
	}
	status := &cobra.Command{Use: "status", Short: "Show whether Secrets are encrypted, the provider and its keys", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := load()
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), c.Describe())
			return nil
		}}
	toggle := func(on bool) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, _ []string) error {
			c, err := load()
			if err != nil {
				return err
			}
			c.SetEnabled(on)
			return apply(cmd, c)
		}
	}
	enable := &cobra.Command{Use: "enable", Short: "Encrypt new writes, then re-encrypt every Secret", Args: cobra.NoArgs, RunE: toggle(true)}
	disable := &cobra.Command{Use: "disable", Short: "Write plaintext, then rewrite every Secret in plaintext", Args: cobra.NoArgs, RunE: toggle(false)}
	reencrypt := &cobra.Command{Use: "reencrypt", Short: "Rewrite every Secret with the current provider and key", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := load()
			if err != nil {
				return err
			}
			return apply(cmd, c)
		}}
	rotate := &cobra.Command{Use: "rotate-keys", Short: "Add a new key, re-encrypt every Secret with it, drop the old keys", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := load()
			if err != nil {
				return err
			}
			return change(cmd, func(ctx context.Context, client kubernetes.Interface, report func(string, ...any)) error {
				return encryption.RotateKeys(ctx, client, c, time.Now(), report)
			})
		}}
	cmd.AddCommand(status, enable, disable, reencrypt, rotate)
	return cmd
}
