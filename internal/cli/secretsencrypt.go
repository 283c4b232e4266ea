//go:build !agentonly

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
	load := func() (*encryption.Config, error) {
		c, err := encryption.Load(env.paths.Encryption)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("secrets encryption was never turned on here: start the server with --secrets-encryption")
		}
		return c, err
	}
	// apply saves c, waits for kube-apiserver to use it, then re-encrypts
	// every Secret when reencrypt is set.
	apply := func(ctx context.Context, out io.Writer, c *encryption.Config, reencrypt bool) (kubernetes.Interface, error) {
		client, err := env.client()
		if err != nil {
			return nil, err
		}
		if err := encryption.SingleServer(ctx, client); err != nil {
			return nil, err
		}
		if err := c.Save(); err != nil {
			return nil, err
		}
		if err := encryption.WaitApplied(ctx, client, env.paths.Encryption); err != nil {
			return nil, err
		}
		fmt.Fprintln(out, "kube-apiserver applied the new configuration")
		if !reencrypt {
			return client, nil
		}
		return client, encryption.Reencrypt(ctx, client, func(done, total int) {
			fmt.Fprintf(out, "re-encrypted %d/%d secrets\n", done, total)
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
			_, err = apply(cmd.Context(), cmd.OutOrStdout(), c, true)
			return err
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
			_, err = apply(cmd.Context(), cmd.OutOrStdout(), c, true)
			return err
		}}
	rotate := &cobra.Command{Use: "rotate-keys", Short: "Add a new key, re-encrypt every Secret with it, drop the old keys", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := load()
			if err != nil {
				return err
			}
			name := c.Rotate(time.Now())
			fmt.Fprintf(cmd.OutOrStdout(), "new key %s\n", name)
			if _, err := apply(cmd.Context(), cmd.OutOrStdout(), c, true); err != nil {
				return err
			}
			n := c.Prune()
			if _, err := apply(cmd.Context(), cmd.OutOrStdout(), c, false); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dropped %d old key(s)\n", n)
			return nil
		}}
	cmd.AddCommand(status, enable, disable, reencrypt, rotate)
	return cmd
}
