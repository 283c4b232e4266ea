package upgrade

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// What a node reports, in its own Node's annotations. The orders go the
// other way in the Plan's status (NodeStatus.Order), which nodes may read
// and only the controller may write.
const (
	AnnVersion = "upgrade.shoal.io/version" // the shoal version it runs
	AnnState   = "upgrade.shoal.io/state"   // Upgrading, Verifying, Complete or RolledBack
	AnnReason  = "upgrade.shoal.io/reason"  // why it rolled back
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
var ErrRestart = fmt.Errorf("shoal binary upgraded: %w", lifecycle.ErrRestart)

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

// install copies the file at from over to atomically (atomicfile: a
// temporary file in to's directory, synced, then renamed over it — a
// running executable can be replaced so, not written), streaming.
func install(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	return atomicfile.WriteFrom(to, src, 0o755)
}
