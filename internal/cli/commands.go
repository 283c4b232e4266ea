//go:build !agentonly

package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shoal-dev/shoal/internal/config"
)

// serverCommands are the commands only the full binary has: the control
// plane and what operates it.
func serverCommands() []*cobra.Command {
	return []*cobra.Command{newServerCommand(), newGitOpsCommand(), newTokenCommand(), newCertificateCommand(),
		newSecretsEncryptCommand(), newSnapshotCommand(), newDatastoreCommand(), newKubectlCommand()}
}

// installRoles are the roles `shoal install` offers: both.
func installRoles() map[string]func(*pflag.FlagSet) *string {
	return map[string]func(*pflag.FlagSet) *string{"agent": agentRole, "server": func(fs *pflag.FlagSet) *string {
		cfg := &config.Server{}
		cfg.AddFlags(fs)
		return &cfg.ConfigFile
	}}
}

// runAs runs the tool shoal was invoked as through a symlink (kubectl).
func runAs(name string, args []string) (int, bool) {
	if name == "kubectl" {
		return runKubectl(args), true
	}
	return 0, false
}
