//go:build !agentonly

package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/shoal-dev/shoal/internal/addons/gitops"
	"github.com/shoal-dev/shoal/internal/config"
)

// newGitOpsCommand is `shoal gitops status`: what is applied from where.
func newGitOpsCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{Use: "gitops", Short: "GitOps: GitRepo resources this cluster pulls and applies"}
	status := &cobra.Command{
		Use:   "status",
		Short: "Print each GitRepo: repository, commit applied, target, readiness, error",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rc, err := clientcmd.BuildConfigFromFlags("", config.NewPaths(dataDir).Cred("admin"))
			if err != nil {
				return fmt.Errorf("--data-dir %s: admin credentials: %w", dataDir, err)
			}
			dyn, err := dynamic.NewForConfig(rc)
			if err != nil {
				return err
			}
			list, err := dyn.Resource(gitops.Resource).Namespace("").List(cmd.Context(), metav1.ListOptions{})
			if err != nil {
				return fmt.Errorf("list gitrepos: %w", err)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAMESPACE\tNAME\tREPO\tPATHS\tCOMMIT\tTARGET\tPHASE\tREADY\tERROR")
			for i := range list.Items {
				var g gitops.GitRepo
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(list.Items[i].Object, &g); err != nil {
					continue
				}
				ready := 0
				for _, r := range g.Status.Resources {
					if r.Ready {
						ready++
					}
				}
				commit := g.Status.Commit
				if len(commit) > 12 {
					commit = commit[:12]
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", list.Items[i].GetNamespace(), list.Items[i].GetName(),
					g.Spec.Repo, strings.Join(g.Spec.Paths, ","), commit, g.Status.Target, g.Status.Phase, ready,
					len(g.Status.Resources), g.Status.Error)
			}
			return w.Flush()
		},
	}
	status.Flags().StringVarP(&dataDir, "data-dir", "d", config.DefaultDataDir, "Data dir of the server")
	cmd.AddCommand(status)
	return cmd
}
