// Package controlplane runs the upstream kube-apiserver,
// kube-controller-manager and kube-scheduler in shoal's process, each as a
// lifecycle.Component.
//
// Each component is driven through a cobra command that carries the
// upstream flag sets and is given its argv with SetArgs; its RunE repeats
// the upstream command's RunE but with shoal's context instead of the
// upstream signal handler, which may only be installed once per process
// (see docs/adr/0001-in-process-components.md). The argv is built as an
// upstreamargs.Args map, user --kube-*-arg values merged last, and logged.
//
// This package must not decide certificate identities (package certs) or
// file locations (package config).
package controlplane
