package config

import (
	"fmt"

	"github.com/spf13/pflag"
)

// Logging is how much shoal's process logs, and where. By default the
// upstream components log warnings and errors only, and shoal its own
// stage lines; --debug shows their informational lines too, -v N raises
// their verbosity (passed to each as --v).
type Logging struct {
	Debug     bool
	Verbosity int
	LogFile   string // also log to this file, rotated
}

// AddFlags binds the logging flags, with K3s's spelling.
func (l *Logging) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&l.Debug, "debug", false, "Show the upstream components' informational logs (default: warnings and errors) and kine's and the tunnel's debug logs")
	fs.IntVarP(&l.Verbosity, "v", "v", 0, "Verbosity of the upstream components' logs (klog -v); above 0 implies their informational logs")
	fs.StringVarP(&l.LogFile, "log", "l", "", "Also write every log line to this file, rotated at 50 MB (3 old files kept)")
}

// Validate checks the values.
func (l *Logging) Validate() error {
	if l.Verbosity < 0 || l.Verbosity > 10 {
		return fmt.Errorf("-v %d: want 0 to 10", l.Verbosity)
	}
	return nil
}

// Informational tells whether upstream's info lines are shown.
func (l Logging) Informational() bool { return l.Debug || l.Verbosity > 0 }
