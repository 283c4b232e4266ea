package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/shoal-dev/shoal/internal/configfile"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// runConfigured applies the config file under the flags, completes the
// config (nothing touches the disk before both succeed), prepares the
// process (setProcess), and runs run until
// SIGINT or SIGTERM; a second signal kills the process outright.
func runConfigured(cmd *cobra.Command, configFile string, complete func() error, settings func() processSettings, run func(context.Context) error) error {
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
	s := settings()
	file := logFile(s.Logging)
	if file != nil {
		cmd.SetOut(io.MultiWriter(cmd.OutOrStdout(), file))
	}
	if err := setProcess(cmd.OutOrStdout(), s, file); err != nil {
		return err
	}
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
