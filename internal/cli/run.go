package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	logsapi "k8s.io/component-base/logs/api/v1"

	"github.com/shoal-dev/shoal/internal/box"
	"github.com/shoal-dev/shoal/internal/checkconfig"
	"github.com/shoal-dev/shoal/internal/configfile"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// runConfigured applies the config file under the flags, completes the
// config (nothing touches the disk before both succeed), prepares the
// process for in-process components and its box, and runs run until
// SIGINT or SIGTERM; a second signal kills the process outright.
func runConfigured(cmd *cobra.Command, configFile string, complete func() error, budget func() (box.Box, box.Budget), run func(context.Context) error) error {
	explicit := cmd.Flags().Changed("config")
	for _, w := range configfile.ExposedSecrets(cmd.Flags()) {
		fmt.Fprintln(cmd.ErrOrStderr(), "shoal: warning:", w)
	}
	if err := configfile.Apply(cmd.Flags(), configFile, explicit); err != nil {
		return err
	}
	if err := configfile.ApplyEnvironment(cmd.Flags(), os.Getenv); err != nil {
		return err
	}
	if err := complete(); err != nil {
		return err
	}
	prepareInProcessComponents()
	fitBox(cmd.OutOrStdout(), budget)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop()
	}()
	err := run(ctx)
	if errors.Is(err, lifecycle.ErrRestart) {
		// Every component has stopped (pods keep running); the binary at
		// shoal's path (new after an upgrade) takes over this process, with
		// the same arguments.
		fmt.Fprintf(cmd.OutOrStdout(), "shoal: %v\n", err)
		return upgrade.Reexec()
	}
	return err
}

// fitBox gives this process the Go soft memory limit of its budget in a
// small box (unless GOMEMLIMIT is set): the collector then works harder as
// the box fills, instead of letting the heap grow to twice what is live.
// (Collecting only at that limit until the node is Ready was measured and
// rejected: the collector took 2.7 s of the 8.6 s of CPU the process used
// until then on one CPU, and 3–5 s more without it — the heap that filled
// the box pushed out the binary's pages.)
func fitBox(out io.Writer, budget func() (box.Box, box.Budget)) {
	b, share := budget()
	if share.Shoal == 0 {
		return
	}
	warnReadahead(out)
	if os.Getenv("GOMEMLIMIT") != "" {
		fmt.Fprintf(out, "shoal: small box (%s): GOMEMLIMIT=%s from the environment\n", b, os.Getenv("GOMEMLIMIT"))
		return
	}
	debug.SetMemoryLimit(share.Shoal)
	fmt.Fprintf(out, "shoal: small box (%s): Go soft memory limit %d MiB\n", b, share.Shoal>>20)
}

// warnReadahead says when the disk holding shoal reads more around each
// page fault than a small box holds (checkconfig.MaxReadaheadKB).
func warnReadahead(out io.Writer) {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	if disk, kb, err := checkconfig.Readahead("/sys", exe); err == nil && kb > checkconfig.MaxReadaheadKB {
		fmt.Fprintf(out, "shoal: small box: %s reads %d KiB around every page fault; a box this small thrashes with more than %d (echo 128 > /sys/block/%s/queue/read_ahead_kb)\n",
			disk, kb, checkconfig.MaxReadaheadKB, disk)
	}
}

// prepareInProcessComponents sets the process-wide knobs that let several
// upstream components share one process.
func prepareInProcessComponents() {
	// Every component applies its logging options; the second would fail
	// without this.
	logsapi.ReapplyHandling = logsapi.ReapplyHandlingIgnoreUnchanged
	// kine logs through logrus; keep it to warnings unless asked.
	if os.Getenv("SHOAL_DEBUG") == "" {
		logrus.SetLevel(logrus.WarnLevel)
	}
}
