// Package runtimebin carries the executables a node needs beside shoal
// itself — containerd, runc, containerd-shim-runc-v2 and the CNI reference
// plugins — zstd-compressed inside the shoal binary, and unpacks them into the
// agent's bin directory. They are built from their upstream Go modules
// (pinned in tools/runtime/go.mod) by `make runtime` — the shim behind
// shoal's grouping wrapper (tools/runtime/shim); each runs as its own
// process of its own small binary, so containerd and a per-pod shim do
// not map all of shoal nor run the initialisation of every package shoal
// links (ADR 0013).
package runtimebin
