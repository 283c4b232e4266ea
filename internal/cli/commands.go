//go:build !agentonly

package cli

import "github.com/spf13/cobra"

// serverCommands are the commands only the full binary has: the control
// plane and what operates it.
func serverCommands() []*cobra.Command {
	return []*cobra.Command{newServerCommand(), newGitOpsCommand(), newTokenCommand(), newCertificateCommand(),
		newSecretsEncryptCommand(), newSnapshotCommand(), newDatastoreCommand(), newKubectlCommand()}
}

// runAs runs the tool shoal was invoked as through a symlink (kubectl).
func runAs(name string, args []string) (int, bool) {
	if name == "kubectl" {
		return runKubectl(args), true
	}
	return 0, false
}
