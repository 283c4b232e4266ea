package osimage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// SlotNames are the two slots.
var SlotNames = [2]string{"a", "b"}

// Other is the slot that is not s.
func Other(s string) string {
	if s == SlotNames[0] {
		return SlotNames[1]
	}
	return SlotNames[0]
}

// BootState is what the boot loader knows.
type BootState struct {
	Booted  string // the slot running now
	Default string // the slot booted when no trial is pending
	Trial   string // a slot to try, "" when none
	Tries   int    // boots of Trial left
	Failed  string // a trial the boot loader (or an agent) gave up on
}

// Slots are a node's two OS slots and its boot switch.
type Slots interface {
	State() (BootState, error)
	// Dir is where slot s's files are installed.
	Dir(s string) string
	// TryOnce makes the next boots (at most tries) start slot s; the
	// default stays, so a slot that never confirms is abandoned.
	TryOnce(s string, tries int) error
	// Confirm makes the booted trial slot the default.
	Confirm() error
	// Abandon gives up the trial (marking it failed) so the next boot
	// starts the default slot.
	Abandon() error
	// ClearFailed forgets a failure once reported.
	ClearFailed() error
	// Reboot restarts the machine (Dir: returns ErrReboot).
	Reboot() error
}

// ErrReboot is returned by a backend that cannot reboot by itself.
var ErrReboot = errors.New("reboot requested")

// Installed describes the image in a slot (<slot>/.shoal-image.json).
type Installed struct {
	Name   string `json:"name"`   // the OSImage
	SHA256 string `json:"sha256"` // of the archive the node fetched
	Digest string `json:"digest"` // the image manifest's digest
}

const installedFile = ".shoal-image.json"

// ReadInstalled reads a slot's record; a slot never installed by shoal
// (the factory image) has none and gives a zero Installed.
func ReadInstalled(dir string) (Installed, error) {
	var in Installed
	b, err := os.ReadFile(filepath.Join(dir, installedFile))
	if errors.Is(err, os.ErrNotExist) {
		return in, nil
	}
	if err != nil {
		return in, err
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return in, fmt.Errorf("%s: %w", filepath.Join(dir, installedFile), err)
	}
	return in, nil
}

func writeInstalled(dir string, in Installed) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, installedFile), b, 0o644)
}

func checkSlot(s string) error {
	if s != SlotNames[0] && s != SlotNames[1] {
		return fmt.Errorf("no slot %q (slots are a and b)", s)
	}
	return nil
}
