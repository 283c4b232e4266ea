// Package cli is shoal's command line: the root command and one file per
// subcommand. It turns flags and the config file into a typed config,
// calls the package that does the work and prints what it reports; it
// holds no logic of its own. process.go is the one place that sets what is
// process-wide (log levels, environment, upstream globals, the soft memory
// limit). Files tagged !agentonly are the commands bin/shoal-agent leaves
// out (ADR 0013).
package cli
