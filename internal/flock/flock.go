package flock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// Acquire creates dir if needed and locks dir/.lock without waiting.
// who names the holder in the error ("another shoal server"); flag names
// the option the user can change.
func Acquire(dir, flag, who string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", flag, dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s %s: %s is using it", flag, dir, who)
		}
		return nil, fmt.Errorf("%s %s: lock: %w", flag, dir, err)
	}
	return func() { f.Close() }, nil
}
