package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// FieldManager owns every field shoal applies from a manifest.
const FieldManager = "shoal-deploy"

// Deployer watches the manifests directory (polling: edge filesystems and
// editors that replace files make inotify unreliable) and applies it.
type Deployer struct {
	lifecycle.Task
	dir, stateFile string
	rest           *rest.Config
	interval       time.Duration
	report         func(string, ...any)
	first          chan struct{}

	applier *Applier
	lastErr map[string]string // per file: the error last reported
}

var _ lifecycle.Component = (*Deployer)(nil)

// New prepares a deployer of dir, recording into stateFile, with the admin
// identity.
func New(dir, stateFile string, admin *rest.Config, report func(string, ...any)) *Deployer {
	return &Deployer{dir: dir, stateFile: stateFile, rest: admin, interval: 5 * time.Second, report: report,
		first: make(chan struct{}), lastErr: map[string]string{}}
}

// Name implements lifecycle.Component.
func (d *Deployer) Name() string { return "manifests" }

// Start runs the apply loop.
func (d *Deployer) Start(ctx context.Context) error {
	a, err := NewApplier(d.rest, FieldManager, d.report)
	if err != nil {
		return err
	}
	d.applier = a
	return d.Go(ctx, d.run)
}

// Ready waits for the first pass over the directory (whatever its result:
// a bad manifest is reported, it does not hold the server back).
func (d *Deployer) Ready(ctx context.Context) error { return d.WaitFor(ctx, d.first) }

// Stop implements lifecycle.Component.
func (d *Deployer) Stop(ctx context.Context) error { return d.Halt(ctx) }

func (d *Deployer) run(ctx context.Context) error {
	if err := os.MkdirAll(d.dir, 0o700); err != nil {
		return err
	}
	state := loadState(d.stateFile)
	tick := time.NewTicker(d.interval)
	defer tick.Stop()
	for firstPass := true; ; firstPass = false {
		if d.sync(ctx, state) {
			if err := state.save(d.stateFile); err != nil {
				d.report("manifests: saving %s: %v", d.stateFile, err)
			}
		}
		if firstPass {
			close(d.first)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// sync applies changed files and prunes removed ones; it reports whether
// state changed.
func (d *Deployer) sync(ctx context.Context, state State) bool {
	files, err := manifestFiles(d.dir)
	if err != nil {
		d.report("manifests: %v", err)
		return false
	}
	changed := false
	seen := map[string]bool{}
	for _, f := range files {
		name := filepath.Base(f)
		seen[name] = true
		data, err := os.ReadFile(f)
		if err != nil {
			d.report("manifest %s: %v", f, err)
			continue
		}
		sum := sha256.Sum256(data)
		hash := hex.EncodeToString(sum[:])
		if state[name].Hash == hash {
			continue
		}
		refs, err := d.applyFile(ctx, data)
		if err != nil {
			// Retried at every pass (a CRD may need a moment), reported
			// once per distinct error.
			if msg := err.Error(); d.lastErr[name] != msg {
				d.lastErr[name] = msg
				d.report("manifest %s: %v", f, err)
			}
			continue
		}
		delete(d.lastErr, name)
		d.applier.DeleteAll(ctx, removed(state[name].Objects, refs))
		state[name] = Record{Hash: hash, Objects: refs}
		changed = true
		d.report("manifest %s applied (%d objects)", name, len(refs))
	}
	for name, rec := range state {
		if !seen[name] {
			d.applier.DeleteAll(ctx, rec.Objects)
			delete(state, name)
			changed = true
			d.report("manifest %s removed: its %d objects deleted", name, len(rec.Objects))
		}
	}
	return changed
}

func manifestFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || strings.HasPrefix(n, ".") {
			continue
		}
		switch filepath.Ext(n) {
		case ".yaml", ".yml", ".json":
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// applyFile applies every object of one file, namespaces and CRDs first.
func (d *Deployer) applyFile(ctx context.Context, data []byte) ([]Ref, error) {
	objs, err := Decode(data)
	if err != nil {
		return nil, err
	}
	SortForApply(objs, func(o *unstructured.Unstructured) *unstructured.Unstructured { return o })
	refs := make([]Ref, 0, len(objs))
	for _, o := range objs {
		ref, err := d.applier.Apply(ctx, o, false)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err)
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

func rank(o *unstructured.Unstructured) int {
	switch o.GetKind() {
	case "Namespace":
		return 0
	case "CustomResourceDefinition":
		return 1
	}
	return 2
}
