package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// fakeStore records applies and deletes instead of calling an apiserver.
type fakeStore struct {
	live map[Ref]bool
}

func (f *fakeStore) Apply(_ context.Context, o *unstructured.Unstructured, _ bool) (Ref, error) {
	ns := o.GetNamespace()
	if ns == "" {
		ns = "default"
	}
	r := Ref{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Namespace: ns, Name: o.GetName()}
	f.live[r] = true
	return r, nil
}

func (f *fakeStore) DeleteAll(_ context.Context, refs []Ref) {
	for _, r := range refs {
		delete(f.live, r)
	}
}

func (f *fakeStore) names() []string {
	var out []string
	for r := range f.live {
		out = append(out, r.Name)
	}
	slices.Sort(out)
	return out
}

func configMaps(names ...string) string {
	s := ""
	for _, n := range names {
		s += fmt.Sprintf("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\n", n)
	}
	return s
}

// TestSyncKeepsObjectsOfAnEmptyOrBadFile: a file caught empty mid-write (or
// half-written, or comments only) must not prune what it created; only a
// removed file, or a file that still holds objects but fewer, prunes.
func TestSyncKeepsObjectsOfAnEmptyOrBadFile(t *testing.T) {
	for _, tc := range []struct {
		name, then string // then: the file's second content; "" with remove
		remove     bool
		want       []string
	}{
		{name: "empty file keeps", then: "", want: []string{"a", "b"}},
		{name: "whitespace keeps", then: "  \n\n   \n", want: []string{"a", "b"}},
		{name: "comments and separators keep", then: "# being edited\n---\n---\n", want: []string{"a", "b"}},
		{name: "empty list keeps", then: "apiVersion: v1\nkind: List\nitems: []\n", want: []string{"a", "b"}},
		{name: "half-written keeps", then: "apiVersion: v1\nkind: ConfigMap\nmetadata: {na", want: []string{"a", "b"}},
		{name: "invalid keeps", then: "kind: [", want: []string{"a", "b"}},
		{name: "smaller set prunes the rest", then: configMaps("b"), want: []string{"b"}},
		{name: "removed file prunes all", remove: true, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, store, reports := newTestDeployer(t)
			file := filepath.Join(d.dir, "app.yaml")
			state := State{}
			write := func(s string) {
				if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			write(configMaps("a", "b"))
			if !d.sync(context.Background(), state) || !slices.Equal(store.names(), []string{"a", "b"}) {
				t.Fatalf("first pass: live %v, reports %v", store.names(), *reports)
			}
			if tc.remove {
				if err := os.Remove(file); err != nil {
					t.Fatal(err)
				}
			} else {
				write(tc.then)
			}
			d.sync(context.Background(), state)
			d.sync(context.Background(), state) // a second pass changes nothing more
			if got := store.names(); !slices.Equal(got, tc.want) {
				t.Fatalf("live objects %v, want %v (reports %v)", got, tc.want, *reports)
			}
			if rec, ok := state["app.yaml"]; ok == tc.remove || len(rec.Objects) != len(tc.want) {
				t.Fatalf("state records %v (present: %v), want %d objects", rec.Objects, ok, len(tc.want))
			}
		})
	}
}

func TestSyncAppliesAFileOnceItIsWritten(t *testing.T) {
	d, store, reports := newTestDeployer(t)
	file := filepath.Join(d.dir, "app.yaml")
	state := State{}
	for _, content := range []string{configMaps("a"), "", configMaps("a", "c")} {
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		d.sync(context.Background(), state)
		d.sync(context.Background(), state)
	}
	if got := store.names(); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("live objects %v, want [a c]", got)
	}
	empties := 0
	for _, r := range *reports {
		if strings.Contains(r, "no objects") {
			empties++
		}
	}
	if empties != 1 {
		t.Fatalf("the empty file reported %d times, want once: %v", empties, *reports)
	}
}

// newTestDeployer is a Deployer over a temporary directory and a fake
// store, and the lines it reports.
func newTestDeployer(t *testing.T) (*Deployer, *fakeStore, *[]string) {
	reports := &[]string{}
	store := &fakeStore{live: map[Ref]bool{}}
	d := &Deployer{dir: t.TempDir(), applier: store, lastErr: map[string]string{},
		report: func(f string, a ...any) { *reports = append(*reports, fmt.Sprintf(f, a...)) }}
	return d, store, reports
}
