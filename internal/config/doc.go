// Package config holds shoal's one typed configuration, built from command
// line flags and the config file, and validated before anything touches the
// disk. Paths under the data dir are derived here, in one place, so every
// other package asks the config where its files live.
//
// It must not start anything or write any file.
package config
