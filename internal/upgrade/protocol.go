package upgrade

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// Node annotations between the controller and the nodes.
const (
	AnnVersion  = "upgrade.shoal.io/version"  // node: the shoal version it runs
	AnnState    = "upgrade.shoal.io/state"    // node: Upgrading, Verifying, Complete or RolledBack
	AnnReason   = "upgrade.shoal.io/reason"   // node: why it rolled back
	AnnTarget   = "upgrade.shoal.io/target"   // controller: the version to run
	AnnBinary   = "upgrade.shoal.io/binary"   // controller: file name on the server
	AnnSHA256   = "upgrade.shoal.io/sha256"   // controller: the binary's digest
	AnnPath     = "upgrade.shoal.io/path"     // controller: shoal's path in the image (binary is an image archive)
	AnnCordoned = "upgrade.shoal.io/cordoned" // controller: it cordoned the node
	AnnDeadline = "upgrade.shoal.io/deadline" // controller: seconds to come back Ready
)

// Node states.
const (
	StateUpgrading  = "Upgrading"
	StateVerifying  = "Verifying"
	StateComplete   = "Complete"
	StateRolledBack = "RolledBack"
)

// ErrRestart asks the caller to re-execute shoal (the binary was swapped)
// once every component has stopped.
var ErrRestart = errors.New("shoal binary upgraded: re-executing")

// pending is the upgrade in flight, in <state dir>/pending.json: what the
// new process verifies, and what the watchdog rolls back to.
type pending struct {
	From, To string
	Exe      string   // the path shoal runs from (swapped in place)
	Args     []string // the command line to re-execute
	Deadline time.Time
	Result   string // "" while in flight; RolledBack once the watchdog acted
	Reason   string
}

func pendingPath(dir string) string  { return filepath.Join(dir, "pending.json") }
func previousPath(dir string) string { return filepath.Join(dir, "shoal.previous") }

func readPending(dir string) (*pending, error) {
	b, err := os.ReadFile(pendingPath(dir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p pending
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s: %w", pendingPath(dir), err)
	}
	return &p, nil
}

func writePending(dir string, p *pending) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return atomicfile.Write(pendingPath(dir), b, 0o600)
}

// install copies the file at from over to atomically (a temporary file in
// to's directory, synced, then renamed over it: a running executable can be
// replaced so, not written), streaming: binaries are large, memory small.
func install(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(to), "."+filepath.Base(to)+".new-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), to)
}
