package controlplane

import (
	"context"
	"fmt"
	"maps"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/cache"
	basecompatibility "k8s.io/component-base/compatibility"
	logsapi "k8s.io/component-base/logs/api/v1"
	schedulerapp "k8s.io/kubernetes/cmd/kube-scheduler/app"
	scheduleroptions "k8s.io/kubernetes/cmd/kube-scheduler/app/options"

	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/tlsprofile"
	"github.com/shoal-dev/shoal/internal/upstreamargs"
)

// Scheduler is kube-scheduler in-process.
type Scheduler struct {
	upstream
	setUp       chan struct{}
	leaderElect bool
}

var _ lifecycle.Component = (*Scheduler)(nil)

// NewScheduler builds the scheduler's argv.
func NewScheduler(cfg *config.Server) *Scheduler {
	kubeconfig := cfg.Paths.Cred("scheduler")
	args := upstreamargs.Args{
		"kubeconfig":                kubeconfig,
		"authentication-kubeconfig": kubeconfig,
		"authorization-kubeconfig":  kubeconfig,
		"bind-address":              "127.0.0.1",
		"secure-port":               "10259",
		"tls-min-version":           tlsprofile.MinVersionName,
		"tls-cipher-suites":         tlsprofile.Flag(),
		"profiling":                 "false",
		"leader-elect":              leaderElect(cfg), // see the controller manager
	}
	if leaderElect(cfg) == "true" {
		maps.Copy(args, leaderElectTimings)
	}
	return &Scheduler{
		upstream:    upstream{name: "kube-scheduler", argv: args.Verbose(cfg.Verbosity).Merge(cfg.ExtraSchedulerArgs)},
		setUp:       make(chan struct{}),
		leaderElect: leaderElect(cfg) == "true",
	}
}

// Stop cancels the scheduler — except under leader election, where
// upstream's scheduler calls os.Exit when its election ends: it is left
// to end with the process (its lease expires and another server's
// scheduler takes over).
func (s *Scheduler) Stop(ctx context.Context) error {
	if s.leaderElect {
		return nil
	}
	return s.Halt(ctx)
}

// Start runs the scheduler.
func (s *Scheduler) Start(ctx context.Context) error {
	return s.launch(ctx, s.command())
}

// command mirrors upstream NewSchedulerCommand/runCommand, without its
// signal handler (the process has one already).
func (s *Scheduler) command() *cobra.Command {
	opts := scheduleroptions.NewOptions()
	pre := func(*cobra.Command) error { return opts.ComponentGlobalsRegistry.Set() }
	run := func(cmd *cobra.Command) error {
		fg := opts.ComponentGlobalsRegistry.FeatureGateFor(basecompatibility.DefaultKubeComponent)
		if err := logsapi.ValidateAndApply(opts.Logs, fg); err != nil {
			return err
		}
		if opts.InformerName == nil {
			name, err := cache.NewInformerName("kube-scheduler")
			if err != nil {
				return err
			}
			opts.InformerName = name
		}
		cc, sched, err := schedulerapp.Setup(cmd.Context(), opts)
		if err != nil {
			return err
		}
		close(s.setUp)
		return schedulerapp.Run(cmd.Context(), cc, sched)
	}
	return newCommand("kube-scheduler", *opts.Flags, pre, run)
}

// Ready returns once the scheduler is configured, connected and running.
func (s *Scheduler) Ready(ctx context.Context) error {
	select {
	case <-s.setUp:
		return nil
	case <-s.Done():
		return fmt.Errorf("exited: %w", s.Err())
	case <-ctx.Done():
		return ctx.Err()
	}
}
