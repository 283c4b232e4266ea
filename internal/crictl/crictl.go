package crictl

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/trace/noop"
	internalapi "k8s.io/cri-api/pkg/apis"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
	remote "k8s.io/cri-client/pkg"
	crilogs "k8s.io/cri-client/pkg/logs"
)

// NewCommand is `crictl`; endpoint returns the CRI socket path.
func NewCommand(endpoint func() string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "crictl",
		Short: "Inspect the node's pods, containers and images through the CRI",
	}
	var all bool
	ps := &cobra.Command{
		Use: "ps", Short: "List containers (running only unless -a)", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			rt, err := runtimeService(c.Context(), endpoint())
			if err != nil {
				return err
			}
			return listContainers(c.Context(), rt, all, c.OutOrStdout())
		},
	}
	ps.Flags().BoolVarP(&all, "all", "a", false, "Show all containers")
	stopTimeout := int64(10)
	stop := &cobra.Command{
		Use: "stop CONTAINER-ID...", Short: "Stop containers", Args: cobra.MinimumNArgs(1),
		RunE: eachContainer(endpoint, func(ctx context.Context, rt internalapi.RuntimeService, id string) error {
			return rt.StopContainer(ctx, id, stopTimeout)
		}),
	}
	stop.Flags().Int64VarP(&stopTimeout, "timeout", "t", 10, "Seconds to wait before killing")
	var force bool
	rm := &cobra.Command{
		Use: "rm CONTAINER-ID...", Short: "Remove containers (-f stops them first)", Args: cobra.MinimumNArgs(1),
		RunE: eachContainer(endpoint, func(ctx context.Context, rt internalapi.RuntimeService, id string) error {
			if force {
				if err := rt.StopContainer(ctx, id, 0); err != nil {
					return err
				}
			}
			return rt.RemoveContainer(ctx, id)
		}),
	}
	rm.Flags().BoolVarP(&force, "force", "f", false, "Stop running containers before removing them")
	cmd.AddCommand(ps, stop, rm, podsCommand(endpoint), rmpCommand(endpoint), imagesCommand(endpoint), logsCommand(endpoint))
	return cmd
}

func runtimeService(ctx context.Context, socket string) (internalapi.RuntimeService, error) {
	rt, err := remote.NewRemoteRuntimeService(ctx, "unix://"+socket, 5*time.Second, noop.NewTracerProvider(), false)
	if err != nil {
		return nil, fmt.Errorf("CRI at %s: %w", socket, err)
	}
	return rt, nil
}

// resolve turns a container ID prefix into the full ID, as crictl does.
func resolve(ctx context.Context, rt internalapi.RuntimeService, prefix string) (string, error) {
	cs, err := rt.ListContainers(ctx, &runtimeapi.ContainerFilter{})
	if err != nil {
		return "", err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.Id
	}
	return byPrefix("container", ids, prefix)
}

// byPrefix finds the one ID starting with prefix.
func byPrefix(what string, ids []string, prefix string) (string, error) {
	var match []string
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			match = append(match, id)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return "", fmt.Errorf("no %s with ID %q", what, prefix)
	default:
		return "", fmt.Errorf("%s ID %q is ambiguous (%d matches)", what, prefix, len(match))
	}
}

// sandboxes lists every pod sandbox of the runtime at socket.
func sandboxes(ctx context.Context, socket string) (internalapi.RuntimeService, []*runtimeapi.PodSandbox, error) {
	rt, err := runtimeService(ctx, socket)
	if err != nil {
		return nil, nil, err
	}
	ps, err := rt.ListPodSandbox(ctx, &runtimeapi.PodSandboxFilter{})
	return rt, ps, err
}

func eachContainer(endpoint func() string, do func(context.Context, internalapi.RuntimeService, string) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		rt, err := runtimeService(c.Context(), endpoint())
		if err != nil {
			return err
		}
		for _, a := range args {
			id, err := resolve(c.Context(), rt, a)
			if err != nil {
				return err
			}
			if err := do(c.Context(), rt, id); err != nil {
				return fmt.Errorf("%s: %w", a, err)
			}
			fmt.Fprintln(c.OutOrStdout(), id)
		}
		return nil
	}
}

func listContainers(ctx context.Context, rt internalapi.RuntimeService, all bool, out io.Writer) error {
	filter := &runtimeapi.ContainerFilter{}
	if !all {
		filter.State = &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}
	}
	cs, err := rt.ListContainers(ctx, filter)
	if err != nil {
		return err
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].CreatedAt > cs[j].CreatedAt })
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "CONTAINER\tIMAGE\tCREATED\tSTATE\tNAME\tATTEMPT\tPOD ID\tPOD")
	for _, c := range cs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", short(c.Id), c.Image.GetUserSpecifiedImage(), ago(c.CreatedAt),
			strings.TrimPrefix(c.State.String(), "CONTAINER_"), c.Metadata.GetName(), c.Metadata.GetAttempt(),
			short(c.PodSandboxId), c.Labels["io.kubernetes.pod.name"])
	}
	return w.Flush()
}

func podsCommand(endpoint func() string) *cobra.Command {
	return &cobra.Command{
		Use: "pods", Short: "List pod sandboxes", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			_, ps, err := sandboxes(c.Context(), endpoint())
			if err != nil {
				return err
			}
			sort.Slice(ps, func(i, j int) bool { return ps[i].CreatedAt > ps[j].CreatedAt })
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 8, 2, ' ', 0)
			fmt.Fprintln(w, "POD ID\tCREATED\tSTATE\tNAME\tNAMESPACE\tATTEMPT")
			for _, p := range ps {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\n", short(p.Id), ago(p.CreatedAt), strings.TrimPrefix(p.State.String(), "SANDBOX_"),
					p.Metadata.GetName(), p.Metadata.GetNamespace(), p.Metadata.GetAttempt())
			}
			return w.Flush()
		},
	}
}

func rmpCommand(endpoint func() string) *cobra.Command {
	return &cobra.Command{
		Use: "rmp POD-ID...", Short: "Stop and remove pod sandboxes", Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			rt, ps, err := sandboxes(c.Context(), endpoint())
			if err != nil {
				return err
			}
			ids := make([]string, len(ps))
			for i, p := range ps {
				ids[i] = p.Id
			}
			for _, a := range args {
				id, err := byPrefix("pod", ids, a)
				if err != nil {
					return err
				}
				if err := rt.StopPodSandbox(c.Context(), id); err != nil {
					return err
				}
				if err := rt.RemovePodSandbox(c.Context(), id); err != nil {
					return err
				}
				fmt.Fprintln(c.OutOrStdout(), id)
			}
			return nil
		},
	}
}

func imagesCommand(endpoint func() string) *cobra.Command {
	return &cobra.Command{
		Use: "images", Short: "List images", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			is, err := remote.NewRemoteImageService(c.Context(), "unix://"+endpoint(), 5*time.Second, noop.NewTracerProvider(), false)
			if err != nil {
				return err
			}
			imgs, err := is.ListImages(c.Context(), &runtimeapi.ImageFilter{})
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(c.OutOrStdout(), 0, 8, 2, ' ', 0)
			fmt.Fprintln(w, "IMAGE\tTAG\tIMAGE ID\tSIZE\tPINNED")
			for _, img := range imgs {
				for _, tag := range img.RepoTags {
					i := strings.LastIndex(tag, ":")
					fmt.Fprintf(w, "%s\t%s\t%s\t%.1fMB\t%v\n", tag[:i], tag[i+1:], short(strings.TrimPrefix(img.Id, "sha256:")), float64(img.Size)/1e6, img.Pinned)
				}
			}
			return w.Flush()
		},
	}
}

func logsCommand(endpoint func() string) *cobra.Command {
	var follow bool
	var tail int64 = -1
	cmd := &cobra.Command{
		Use: "logs CONTAINER-ID", Short: "Print a container's log", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			rt, err := runtimeService(c.Context(), endpoint())
			if err != nil {
				return err
			}
			id, err := resolve(c.Context(), rt, args[0])
			if err != nil {
				return err
			}
			st, err := rt.ContainerStatus(c.Context(), id, false)
			if err != nil {
				return err
			}
			opts := &crilogs.LogOptions{Follow: follow}
			if tail >= 0 {
				opts.TailLines = &tail
			}
			return crilogs.ReadLogs(c.Context(), st.GetStatus().GetLogPath(), id, opts, rt, c.OutOrStdout(), os.Stderr)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "Follow the log")
	cmd.Flags().Int64Var(&tail, "tail", -1, "Lines from the end to show (-1: all)")
	return cmd
}

func short(id string) string {
	if len(id) > 13 {
		return id[:13]
	}
	return id
}

func ago(nanos int64) string {
	d := time.Since(time.Unix(0, nanos)).Round(time.Second)
	return d.String() + " ago"
}
