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

	applier objectStore
	lastErr map[string]string // per file: the error last reported
}

// objectStore is what the deployer needs of an Applier (tests fake it).
type objectStore interface {
	Apply(ctx context.Context, o *unstructured.Unstructured, dryRun bool) (Ref, error)
	DeleteAll(ctx context.Context, refs []Ref)
}

var (
	_ lifecycle.Component = (*Deployer)(nil)
	_ objectStore         = (*Applier)(nil)
)

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
		seen[filepath.Base(f)] = true
		if d.syncFile(ctx, state, f) {
			changed = true
		}
	}
	for name, rec := range state {
		if !seen[name] {
			d.applier.DeleteAll(ctx, rec.Objects)
			delete(state, name)
			changed = true
			d.report("manifest %s removed: its %d objects deleted", name, len(rec.Objects))
		}
	}
	for name := range d.lastErr {
		if !seen[name] {
			delete(d.lastErr, name)
		}
	}
	return changed
}

// syncFile applies one file if it changed, then prunes the objects it no
// longer holds; it reports whether state changed. A file that fails to read,
// decode or apply, or that decodes to no object at all (empty or comments
// only: an editor or cp caught between truncating and writing it), changes
// nothing: its objects stay. Deleting the file is what deletes them all.
func (d *Deployer) syncFile(ctx context.Context, state State, path string) bool {
	name := filepath.Base(path)
	data, err := os.ReadFile(path)
	if err != nil {
		d.reportOnce(name, err)
		return false
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	if state[name].Hash == hash {
		delete(d.lastErr, name) // back to what was applied
		return false
	}
	objs, err := Decode(data)
	if err == nil && len(objs) == 0 {
		err = fmt.Errorf("no objects (empty, or not fully written yet): nothing applied, its %d objects kept; delete the file to delete them",
			len(state[name].Objects))
	}
	var refs []Ref
	if err == nil {
		refs, err = d.applyObjects(ctx, objs)
	}
	if err != nil {
		// Retried at every pass (a CRD may need a moment, a file may
		// still be being written), reported once per distinct error.
		d.reportOnce(name, err)
		return false
	}
	delete(d.lastErr, name)
	d.applier.DeleteAll(ctx, removed(state[name].Objects, refs))
	state[name] = Record{Hash: hash, Objects: refs}
	d.report("manifest %s applied (%d objects)", name, len(refs))
	return true
}

// reportOnce reports err for the file name unless it is the error last
// reported for it.
func (d *Deployer) reportOnce(name string, err error) {
	if msg := err.Error(); d.lastErr[name] != msg {
		d.lastErr[name] = msg
		d.report("manifest %s: %v", filepath.Join(d.dir, name), err)
	}
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

// applyObjects applies the objects of one file, namespaces and CRDs first.
func (d *Deployer) applyObjects(ctx context.Context, objs []*unstructured.Unstructured) ([]Ref, error) {
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
