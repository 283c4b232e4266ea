package service

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/shoal-dev/shoal/internal/killall"
)

// Uninstall stops and disables the service, runs killall on the data dir,
// removes every file the install wrote, the config dir, and the data dir
// (every object, certificate and local-path volume).
func Uninstall(root string, m *Manifest, out io.Writer) error {
	if root == "/" {
		disable(m, out)
	}
	if err := killall.Run(m.DataDir, out); err != nil {
		return fmt.Errorf("killall: %w (nothing removed)", err)
	}
	var errs []error
	for _, f := range m.Files {
		if err := os.Remove(filepath.Join(root, f)); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
	}
	_ = os.Remove(filepath.Join(root, ConfigDir)) // only when empty: the user's own files stay
	if err := os.RemoveAll(m.DataDir); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		fmt.Fprintf(out, "shoal: uninstalled: %d files and %s removed\n", len(m.Files), m.DataDir)
	}
	return errors.Join(errs...)
}

// disable stops and disables the service (best effort: it may never have
// been started).
func disable(m *Manifest, out io.Writer) {
	var cmds [][]string
	if m.Init == OpenRC {
		cmds = [][]string{{"rc-service", m.Unit, "stop"}, {"rc-update", "del", m.Unit, "default"}}
	} else {
		cmds = [][]string{{"systemctl", "disable", "--now", m.Unit}}
	}
	for _, c := range cmds {
		if _, err := exec.LookPath(c[0]); err != nil {
			continue
		}
		if b, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			fmt.Fprintf(out, "shoal: %v: %s\n", c, b)
		}
	}
}
