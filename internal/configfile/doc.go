// Package configfile applies a YAML config file to a command's flags, the
// way K3s does: each top-level key is a long flag name, its value is what
// the flag would be given, and a list sets a repeatable flag once per item.
// Flags given on the command line win over the file, which wins over the
// environment (secrets only: SHOAL_TOKEN, SHOAL_AGENT_TOKEN,
// SHOAL_DATASTORE_ENDPOINT).
//
// It owns parsing and error wording only; it must not create or touch any
// file, so that a bad config file never changes state on disk.
package configfile
