package cli

import (
	"fmt"
	"io"
	"os"

	utilfeature "k8s.io/apiserver/pkg/util/feature"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"

	"github.com/shoal-dev/shoal/internal/config"
)

// setLogging makes the upstream components' logs readable: warnings and
// errors on stderr by default (a start printed ≈ 1,400 informational
// lines before shoal said it was ready), everything with --debug or -v;
// every line to file when there is one.
//
// Each upstream component applies its logging configuration (the first
// one wins; later ones must be identical). shoal applies the same one
// first — the defaults with -v as every component gets it (--v, see
// upstreamargs.Args.Verbose) — so theirs change nothing, then gives klog
// its own text logger, whose writer sorts lines by severity.
func setLogging(l config.Logging, file io.Writer) error {
	c := logsapi.NewLoggingConfiguration()
	c.Verbosity = logsapi.VerbosityLevel(l.Verbosity)
	if err := logsapi.ValidateAndApply(c, utilfeature.DefaultFeatureGate); err != nil {
		return fmt.Errorf("logging: %w", err)
	}
	w := &severityWriter{stderr: os.Stderr, file: file, infos: l.Informational()}
	log := textlogger.NewLogger(textlogger.NewConfig(textlogger.Verbosity(l.Verbosity), textlogger.Output(w)))
	opts := []klog.LoggerOption{klog.ContextualLogger(utilfeature.DefaultFeatureGate.Enabled(logsapi.ContextualLogging))}
	if bw, ok := log.GetSink().(textlogger.KlogBufferWriter); ok {
		opts = append(opts, klog.WriteKlogBuffer(bw.WriteKlogBuffer))
	}
	klog.SetLoggerWithOptions(log, opts...)
	return nil
}

// severityWriter receives one klog entry per Write, its header's first
// byte the severity (I, W, E, F): informational entries go to stderr only
// when asked for, every entry to the file.
type severityWriter struct {
	stderr, file io.Writer
	infos        bool
}

func (w *severityWriter) Write(p []byte) (int, error) {
	if w.file != nil {
		_, _ = w.file.Write(p)
	}
	if len(p) > 0 && p[0] == 'I' && !w.infos {
		return len(p), nil
	}
	return w.stderr.Write(p)
}
