// Package runtimebin carries the small executables a node needs beside
// shoal itself — runc, containerd-shim-runc-v2 and the CNI reference
// plugins — gzipped inside the shoal binary, and unpacks them into the
// agent's bin directory. They are built from their upstream Go modules
// (pinned in tools/runtime/go.mod) by `make runtime` — the shim behind
// shoal's grouping wrapper (tools/runtime/shim); each runs as its own
// small process, so a per-pod shim does not map all of shoal.
package runtimebin
