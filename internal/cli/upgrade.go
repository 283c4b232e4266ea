package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/upgrade"
)

// newUpgradeWatchdogCommand is started by an upgrading node from its
// previous binary; not for people.
func newUpgradeWatchdogCommand() *cobra.Command {
	var dir string
	var pid int
	cmd := &cobra.Command{
		Use:    "upgrade-watchdog",
		Short:  "Roll an upgrade back unless the new shoal (--pid) gets its node Ready in time",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return upgrade.Watch(dir, pid, func(format string, args ...any) {
				fmt.Fprintf(cmd.OutOrStdout(), "shoal: "+format+"\n", args...)
			})
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "Upgrade state directory")
	cmd.Flags().IntVar(&pid, "pid", 0, "Process of the upgraded shoal")
	return cmd
}
