//go:build !agentonly

package cli

import (
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shoal-dev/shoal/internal/bootstrap"
	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/datastore"
	"github.com/shoal-dev/shoal/internal/token"
)

// tokenEnv is what every `shoal token` subcommand needs: the server's
// data dir (its CA to pin, its token file, its admin credentials).
type tokenEnv struct {
	dataDir string
	paths   config.Paths
}

func (e *tokenEnv) caHash() (string, error) {
	b, err := os.ReadFile(certs.Layout(e.paths).ServerCA.Cert)
	if err != nil {
		return "", fmt.Errorf("--data-dir %s: not a shoal server's data dir (%w)", e.dataDir, err)
	}
	return token.CAHash(b), nil
}

func (e *tokenEnv) client() (kubernetes.Interface, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", e.paths.Cred("admin"))
	if err != nil {
		return nil, fmt.Errorf("--data-dir %s: admin credentials: %w", e.dataDir, err)
	}
	return kubernetes.NewForConfig(rc)
}

func newTokenCommand() *cobra.Command {
	env := &tokenEnv{}
	cmd := &cobra.Command{Use: "token", Short: "Manage join tokens (bootstrap tokens and the server token)",
		PersistentPreRun: func(*cobra.Command, []string) { env.paths = config.NewPaths(env.dataDir) }}
	cmd.PersistentFlags().StringVarP(&env.dataDir, "data-dir", "d", config.DefaultDataDir, "Data dir of the server")
	cmd.AddCommand(tokenCreate(env), tokenList(env), tokenDelete(env), tokenRotate(env))
	return cmd
}

func tokenCreate(env *tokenEnv) *cobra.Command {
	var ttl time.Duration
	var description string
	c := &cobra.Command{
		Use:   "create",
		Short: "Create a bootstrap token agents can join with; prints the full token",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if ttl < 0 {
				return fmt.Errorf("--ttl %s: must not be negative (0 means never expires)", ttl)
			}
			hash, err := env.caHash()
			if err != nil {
				return err
			}
			client, err := env.client()
			if err != nil {
				return err
			}
			cred, err := token.CreateBootstrap(cmd.Context(), client, ttl, description, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), token.Token{CAHash: hash, Credential: cred})
			return nil
		},
	}
	c.Flags().DurationVar(&ttl, "ttl", 24*time.Hour, "Lifetime of the token (0: never expires)")
	c.Flags().StringVar(&description, "description", "", "What the token is for")
	return c
}

func tokenList(env *tokenEnv) *cobra.Command {
	return &cobra.Command{
		Use: "list", Short: "List bootstrap tokens (not their secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := env.client()
			if err != nil {
				return err
			}
			infos, err := token.ListBootstrap(cmd.Context(), client)
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tEXPIRES\tDESCRIPTION")
			for _, i := range infos {
				exp := "never"
				if !i.Expires.IsZero() {
					exp = i.Expires.Format(time.RFC3339)
					if time.Now().After(i.Expires) {
						exp += " (expired)"
					}
				}
				fmt.Fprintf(w, "%s\t%s\t%s\n", i.ID, exp, i.Description)
			}
			return w.Flush()
		},
	}
}

func tokenDelete(env *tokenEnv) *cobra.Command {
	return &cobra.Command{
		Use: "delete ID...", Short: "Delete bootstrap tokens (by id or full token)", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := env.client()
			if err != nil {
				return err
			}
			for _, a := range args {
				if err := token.DeleteBootstrap(cmd.Context(), client, a); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", a)
			}
			return nil
		},
	}
}

func tokenRotate(env *tokenEnv) *cobra.Command {
	var newToken string
	c := &cobra.Command{
		Use:   "rotate",
		Short: "Replace the server token (the server must be running): it uses it at once, the old one opens nothing any more, joined agents keep their certificates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := os.ReadFile(certs.Layout(env.paths).ServerCA.Cert)
			if err != nil {
				return fmt.Errorf("--data-dir %s: not a shoal server's data dir (%w)", env.dataDir, err)
			}
			next, err := token.NewServer(newToken, b)
			if err != nil {
				return err
			}
			if err := bootstrap.RotateToken(cmd.Context(), datastore.Local(env.paths), env.paths.DataDir, env.paths.TokenFile, next); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), next)
			return nil
		},
	}
	c.Flags().StringVar(&newToken, "new-token", "", "The new token's secret (default: generated)")
	return c
}
