package cli

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/sirupsen/logrus"
	"gopkg.in/natefinch/lumberjack.v2"
	logsapi "k8s.io/component-base/logs/api/v1"

	"github.com/shoal-dev/shoal/internal/box"
	"github.com/shoal-dev/shoal/internal/checkconfig"
	"github.com/shoal-dev/shoal/internal/config"
)

// processSettings is what a command decides for the whole process once its
// config is complete. setProcess applies it; no component changes a
// process-wide setting (log levels, environment, runtime limits) itself,
// so none can undo another's.
type processSettings struct {
	Box      box.Box
	Budget   box.Budget
	NodeName string // this process's node, if it runs one
	Upstream func() // sets upstream libraries' process-wide variables (nil: none)
	Logging  config.Logging
}

// setProcess is the one owner of process-wide settings.
func setProcess(out io.Writer, s processSettings, file io.Writer) error {
	// Every upstream component applies its logging options; the second
	// would fail without this.
	logsapi.ReapplyHandling = logsapi.ReapplyHandlingIgnoreUnchanged
	// logrus is kine's and remotedialer's (the tunnel) logger: warnings
	// and errors, unless --debug (or SHOAL_DEBUG) asks for everything.
	logrus.SetLevel(logrus.WarnLevel)
	if s.Logging.Debug || os.Getenv("SHOAL_DEBUG") != "" {
		logrus.SetLevel(logrus.DebugLevel)
	}
	// flannel's subnet manager finds its node only through NODE_NAME.
	if s.NodeName != "" {
		os.Setenv("NODE_NAME", s.NodeName)
	}
	if s.Upstream != nil {
		s.Upstream()
	}
	fitBox(out, s.Box, s.Budget)
	return setLogging(s.Logging, file)
}

// logFile is --log's file, rotated (nil without --log).
func logFile(l config.Logging) io.Writer {
	if l.LogFile == "" {
		return nil
	}
	return &lumberjack.Logger{Filename: l.LogFile, MaxSize: 50, MaxBackups: 3}
}

// defaultEnv sets key for this process (and the tools it runs in-process:
// kubectl, ctr) unless the user did.
func defaultEnv(key, value string) {
	if os.Getenv(key) == "" {
		os.Setenv(key, value)
	}
}

// fitBox gives this process the Go soft memory limit of its budget in a
// small box (unless GOMEMLIMIT is set): the collector then works harder as
// the box fills, instead of letting the heap grow to twice what is live.
// (Collecting only at that limit until the node is Ready was measured and
// rejected: the collector took 2.7 s of the 8.6 s of CPU the process used
// until then on one CPU, and 3–5 s more without it — the heap that filled
// the box pushed out the binary's pages.)
func fitBox(out io.Writer, b box.Box, share box.Budget) {
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
