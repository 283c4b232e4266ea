// Package version holds shoal's own version, set at link time with
// -ldflags "-X github.com/shoal-dev/shoal/internal/version.Version=...".
package version
