package agent

import (
	"context"
	"fmt"
	"io"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/shoal-dev/shoal/internal/box"
	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/flock"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/node"
	"github.com/shoal-dev/shoal/internal/nodeclaim"
	"github.com/shoal-dev/shoal/internal/service"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// Run starts the node stack and blocks until ctx ends or a component
// fails. cfg must be Completed. With --server it joins that server;
// without, the server whose data dir it shares.
func Run(ctx context.Context, cfg *config.AgentCommand, out io.Writer) error {
	start := time.Now()
	report := func(format string, args ...any) { fmt.Fprintf(out, "shoal: "+format+"\n", args...) }
	release, err := flock.Acquire(cfg.AgentPaths.Dir, "--data-dir", "another shoal agent (or a server with its local node)")
	if err != nil {
		return err
	}
	defer release()
	var components []lifecycle.Component
	var stack *node.Stack
	if cfg.Server != "" {
		components, stack, err = joined(ctx, cfg, report)
	} else {
		components, stack, err = local(cfg, start, report)
	}
	if err != nil {
		return err
	}
	runner := &lifecycle.Runner{Components: stack.List(components...), Report: report}
	return runner.Run(ctx, func() error {
		service.NotifyReady()
		node.ReportReady(ctx, stack.Client, cfg.NodeName, start, report)
		return nil
	})
}

// local builds the stack of an agent on a server's own data dir, and the
// claim of its name.
func local(cfg *config.AgentCommand, start time.Time, report func(string, ...any)) ([]lifecycle.Component, *node.Stack, error) {
	paths := config.NewPaths(cfg.DataDir)
	cluster, err := config.ReadCluster(paths.ClusterFile())
	if err != nil {
		return nil, nil, err
	}
	nc, _, err := certs.EnsureNode(certs.Layout(paths), cfg.AgentPaths.TLS, cfg.NodeName, cfg.NodeIP, start)
	if err != nil {
		return nil, nil, fmt.Errorf("node certificates: %w", err)
	}
	stack, err := node.New(&node.Config{Agent: cfg.Agent, Cluster: cluster, Certs: nc,
		Role: box.Agent}, report)
	if err != nil {
		return nil, nil, err
	}
	stack.Components = append(stack.Components, node.Upgraders(cfg.Agent, stack, upgrade.FromDir(paths.Upgrades), report)...)
	// Claim the node's name (and IP) as a joining agent would, with the
	// server's admin identity this data dir holds.
	password, err := nodeclaim.Password(cfg.AgentPaths.Etc)
	if err != nil {
		return nil, nil, err
	}
	admin, err := clientcmd.BuildConfigFromFlags("", paths.Cred("admin"))
	if err != nil {
		return nil, nil, fmt.Errorf("admin kubeconfig: %w", err)
	}
	claim, err := nodeclaim.NewLocal(admin, cfg.NodeName, cfg.NodeIP, password)
	if err != nil {
		return nil, nil, err
	}
	return []lifecycle.Component{claim}, stack, nil
}
