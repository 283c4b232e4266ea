// Package cli is shoal's command line: the root command and one file per
// subcommand. It turns flags and the config file into a typed config and
// calls the package that does the work; it holds no logic of its own.
package cli
