package gitops

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/object"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/shoal-dev/shoal/internal/addons/deploy"
)

// item is one object with the file it came from.
type item struct {
	file string
	obj  *unstructured.Unstructured
}

// render reads each path of commit: a Helm chart (Chart.yaml), a
// kustomize directory (kustomization.yaml), or else every .yaml, .yml
// and .json file under it, in path order. Errors name the file (and the
// YAML line the parser gives). A path the commit does not have holds
// nothing.
func render(commit *object.Commit, paths []string, t Target, namespace string) ([]item, error) {
	tree, err := commit.Tree()
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var out []item
	for _, p := range paths {
		p = strings.Trim(path.Clean(p), "/")
		if p == "." {
			p = ""
		}
		sub := tree
		if p != "" {
			if sub, err = tree.Tree(p); errors.Is(err, object.ErrDirectoryNotFound) {
				continue // git keeps no empty directory: its files were all removed
			} else if err != nil {
				return nil, fmt.Errorf("path %s: %w", p, err)
			}
		}
		var items []item
		switch {
		case has(sub, "Chart.yaml"):
			items, err = renderChart(sub, p, t.Helm, namespace)
		case has(sub, "kustomization.yaml", "kustomization.yml", "Kustomization"):
			dir := p
			if t.Kustomize != nil && t.Kustomize.Dir != "" {
				dir = path.Join(p, t.Kustomize.Dir)
			}
			items, err = renderKustomize(tree, dir)
		default:
			items, err = renderFiles(sub, p)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}

func has(t *object.Tree, names ...string) bool {
	for _, n := range names {
		if _, err := t.File(n); err == nil {
			return true
		}
	}
	return false
}

// renderFiles decodes every manifest file under sub (at p in the tree).
func renderFiles(sub *object.Tree, p string) ([]item, error) {
	var out []item
	err := sub.Files().ForEach(func(f *object.File) error {
		switch path.Ext(f.Name) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		if strings.HasPrefix(path.Base(f.Name), ".") {
			return nil
		}
		name := path.Join(p, f.Name)
		content, err := f.Contents()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		items, err := decodeAs(name, content)
		out = append(out, items...)
		return err
	})
	return out, err
}

// decodeAs decodes one manifest document stream named name.
func decodeAs(name, content string) ([]item, error) {
	objs, err := deploy.Decode([]byte(content))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make([]item, 0, len(objs))
	for _, o := range objs {
		out = append(out, item{file: name, obj: o})
	}
	return out, nil
}

// sortedKeys orders a rendered set of files.
func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
