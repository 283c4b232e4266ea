package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/checkconfig"
	"github.com/shoal-dev/shoal/internal/node"
)

func newCheckConfigCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check-config",
		Short: "Check the kernel and host for what a node needs; exits 1 if something required is missing",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			results := checkconfig.Run(string(node.DetectCgroupMode()))
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "FEATURE\tLEVEL\tSTATUS\tDETAIL")
			missing := 0
			for _, r := range results {
				status := "ok"
				if !r.OK {
					status = "missing"
					if r.Level == checkconfig.Required {
						missing++
					}
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Name, r.Level, status, r.Detail)
			}
			if err := w.Flush(); err != nil {
				return err
			}
			if missing > 0 {
				return fmt.Errorf("%d required feature(s) missing", missing)
			}
			return nil
		},
	}
}
