// Package service installs shoal as a supervised service and takes it
// away again: the binary under /usr/local/bin with the tools' symlinks,
// /etc/shoal/config.yaml from the flags given to `shoal install`, an
// environment file for the secrets (0600), and a systemd unit or an
// OpenRC script. What it wrote is recorded in /etc/shoal/install.json,
// which `shoal uninstall` reads. Paths are relative to a root ("/" on a
// device; a throwaway directory in tests).
package service
