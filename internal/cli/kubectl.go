//go:build !agentonly

package cli

import (
	"os"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/plugin"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"

	"github.com/shoal-dev/shoal/internal/config"
)

func newKubectlCommand() *cobra.Command {
	return &cobra.Command{
		Use:                "kubectl",
		Short:              "Run the embedded kubectl against this server",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			os.Exit(runKubectl(args))
			return nil
		},
	}
}

// runKubectl runs upstream kubectl with args, as upstream's main does.
// Without KUBECONFIG or --kubeconfig it uses the kubeconfig shoal server
// writes.
func runKubectl(args []string) int {
	if !hasKubeconfigFlag(args) {
		defaultEnv("KUBECONFIG", defaultKubeconfig())
	}
	argv := append([]string{"kubectl"}, args...)
	logs.GlogSetter(kubectlcmd.GetLogVerbosity(argv)) //nolint:errcheck
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	cmd := kubectlcmd.NewDefaultKubectlCommandWithArgs(kubectlcmd.KubectlOptions{
		PluginHandler: kubectlcmd.NewDefaultPluginHandler(plugin.ValidPluginFilenamePrefixes),
		Arguments:     argv,
		ConfigFlags: genericclioptions.NewConfigFlags(true).WithDeprecatedPasswordFlag().
			WithDiscoveryBurst(300).WithDiscoveryQPS(50.0).WithWarningPrinter(streams),
		IOStreams: streams,
	})
	cmd.SetArgs(args)
	if err := cli.RunNoErrOutput(cmd); err != nil {
		kubectlutil.CheckErr(err) // prints and exits like kubectl
	}
	return 0
}
func hasKubeconfigFlag(args []string) bool {
	for _, a := range args {
		if a == "--kubeconfig" || len(a) > 13 && a[:13] == "--kubeconfig=" {
			return true
		}
	}
	return false
}

// defaultKubeconfig is the written admin kubeconfig if it exists, else the
// one inside the default data dir.
func defaultKubeconfig() string {
	if _, err := os.Stat(config.DefaultKubeconfigPath); err == nil {
		return config.DefaultKubeconfigPath
	}
	return config.NewPaths(config.DefaultDataDir).Cred("admin")
}
