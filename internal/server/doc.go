// Package server assembles `shoal server`: it prepares credentials, builds
// the list of components (datastore, supervisor, apiserver, scheduler,
// controller manager, cluster roles, the addon controllers and, unless
// --disable-agent, the local node) and hands it to a lifecycle.Runner. It
// prints one line per stage to the user.
//
// It owns ordering and wiring only; each component lives in its own
// package.
package server
