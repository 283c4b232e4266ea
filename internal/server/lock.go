package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/shoal-dev/shoal/internal/config"
)

// lockDataDir takes an exclusive lock so that two servers never share one
// data dir (two apiservers on one SQLite file would fight over it).
func lockDataDir(p config.Paths) (func(), error) {
	if err := os.MkdirAll(p.ServerDir, 0o700); err != nil {
		return nil, fmt.Errorf("--data-dir %s: %w", p.DataDir, err)
	}
	path := filepath.Join(p.ServerDir, ".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--data-dir %s: %w", p.DataDir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("--data-dir %s: another shoal server is using it", p.DataDir)
		}
		return nil, fmt.Errorf("--data-dir %s: lock: %w", p.DataDir, err)
	}
	return func() { f.Close() }, nil
}
