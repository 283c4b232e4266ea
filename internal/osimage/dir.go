package osimage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// Dir is the plain-directory backend: slots are Root/slots/{a,b} and the
// boot loader's state is Root/boot.json. Its Boot method plays the boot
// loader with the same rules as Script's grub.cfg, so tests can "reboot".
type Dir struct{ Root string }

var _ Slots = Dir{}

func (d Dir) statePath() string { return filepath.Join(d.Root, "boot.json") }

// State implements Slots.
func (d Dir) State() (BootState, error) {
	st := BootState{Booted: SlotNames[0], Default: SlotNames[0]}
	b, err := os.ReadFile(d.statePath())
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%s: %w", d.statePath(), err)
	}
	return st, nil
}

func (d Dir) save(st BootState) error {
	if err := os.MkdirAll(d.Root, 0o755); err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return atomicfile.Write(d.statePath(), b, 0o644)
}

// Dir implements Slots.
func (d Dir) Dir(s string) string { return filepath.Join(d.Root, "slots", s) }

// TryOnce implements Slots.
func (d Dir) TryOnce(s string, tries int) error {
	if err := checkSlot(s); err != nil {
		return err
	}
	st, err := d.State()
	if err != nil {
		return err
	}
	st.Trial, st.Tries = s, tries
	return d.save(st)
}

// Confirm implements Slots.
func (d Dir) Confirm() error {
	st, err := d.State()
	if err != nil {
		return err
	}
	if st.Trial != st.Booted {
		return fmt.Errorf("slot %s is not on trial", st.Booted)
	}
	st.Default, st.Trial, st.Tries = st.Booted, "", 0
	return d.save(st)
}

// Abandon implements Slots.
func (d Dir) Abandon() error {
	st, err := d.State()
	if err != nil {
		return err
	}
	st.Failed, st.Trial, st.Tries = st.Trial, "", 0
	return d.save(st)
}

// ClearFailed implements Slots.
func (d Dir) ClearFailed() error {
	st, err := d.State()
	if err != nil {
		return err
	}
	st.Failed = ""
	return d.save(st)
}

// Reboot implements Slots: the caller (a test) boots with Boot.
func (d Dir) Reboot() error { return ErrReboot }

// Boot is the boot loader: a pending trial is booted while it has tries
// left, and given up (Failed) when it has none.
func (d Dir) Boot() (string, error) {
	st, err := d.State()
	if err != nil {
		return "", err
	}
	st.Booted = st.Default
	if st.Trial != "" {
		if st.Tries > 0 {
			st.Tries--
			st.Booted = st.Trial
		} else {
			st.Failed, st.Trial = st.Trial, ""
		}
	}
	return st.Booted, d.save(st)
}
