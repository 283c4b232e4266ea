package deploy

import (
	"encoding/json"
	"os"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// Ref identifies one applied object.
type Ref struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// Record is what was applied from one file.
type Record struct {
	Hash    string `json:"hash"`
	Objects []Ref  `json:"objects"`
}

// State maps a manifest file name to its record.
type State map[string]Record

func loadState(path string) State {
	s := State{}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &s) // a lost record only costs pruning
	}
	return s
}

func (s State) save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o600)
}

// removed lists the refs of before that are not in after.
func removed(before, after []Ref) []Ref {
	keep := map[Ref]bool{}
	for _, r := range after {
		keep[r] = true
	}
	var out []Ref
	for _, r := range before {
		if !keep[r] {
			out = append(out, r)
		}
	}
	return out
}
