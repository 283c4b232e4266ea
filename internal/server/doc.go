// Package server assembles `shoal server`: it prepares credentials, builds
// the list of components (datastore, apiserver, controller manager,
// scheduler; later the local agent and addons) and hands it to a
// lifecycle.Runner. It prints one line per stage to the user.
//
// It owns ordering and wiring only; each component lives in its own
// package.
package server
