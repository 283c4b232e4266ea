package controlplane

import (
	"context"

	"github.com/spf13/cobra"
	cliflag "k8s.io/component-base/cli/flag"
	"k8s.io/component-base/cli/globalflag"
	"k8s.io/component-base/logs"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// upstream is the part every in-process component shares: a name, an
// argv, a cobra command that parses it, and the task it runs in.
type upstream struct {
	lifecycle.Task
	name string
	argv []string
}

// Name implements lifecycle.Component.
func (u *upstream) Name() string { return u.name }

// Argv is the final argument list, after the user's values were merged.
func (u *upstream) Argv() []string { return u.argv }

// Stop cancels the component's context and waits for it to return.
func (u *upstream) Stop(ctx context.Context) error { return u.Halt(ctx) }

// launch logs the argv and runs cmd with it in the background.
func (u *upstream) launch(ctx context.Context, cmd *cobra.Command) error {
	cmd.SetArgs(u.argv)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	return u.Go(ctx, func(ctx context.Context) error {
		return cmd.ExecuteContext(ctx)
	})
}

// newCommand is a cobra command named like the upstream binary, carrying
// the upstream flag sets plus the global klog flags, as upstream builds it.
func newCommand(name string, fss cliflag.NamedFlagSets, pre, run func(cmd *cobra.Command) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:               name,
		PersistentPreRunE: func(c *cobra.Command, _ []string) error { return pre(c) },
		RunE:              func(c *cobra.Command, _ []string) error { return run(c) },
		Args:              cobra.NoArgs,
	}
	globalflag.AddGlobalFlags(fss.FlagSet("global"), name, logs.SkipLoggingConfigurationFlags())
	fs := cmd.Flags()
	for _, f := range fss.FlagSets {
		fs.AddFlagSet(f)
	}
	fs.SetNormalizeFunc(cliflag.WordSepNormalizeFunc)
	return cmd
}
