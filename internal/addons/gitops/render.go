package gitops

import (
	"errors"
	"fmt"
	"path"
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

// render reads every .yaml, .yml and .json file under paths (default:
// the whole tree) of commit, in path order. Errors name the file (and
// the YAML line the parser gives). A path the commit does not have holds
// nothing.
func render(commit *object.Commit, paths []string) ([]item, error) {
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
		sub := tree
		if p != "." && p != "" {
			if sub, err = tree.Tree(p); errors.Is(err, object.ErrDirectoryNotFound) {
				continue // git keeps no empty directory: its files were all removed
			} else if err != nil {
				return nil, fmt.Errorf("path %s: %w", p, err)
			}
		}
		err := sub.Files().ForEach(func(f *object.File) error {
			name := path.Join(p, f.Name)
			switch path.Ext(f.Name) {
			case ".yaml", ".yml", ".json":
			default:
				return nil
			}
			if strings.HasPrefix(path.Base(f.Name), ".") {
				return nil
			}
			content, err := f.Contents()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			objs, err := deploy.Decode([]byte(content))
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			for _, o := range objs {
				out = append(out, item{file: name, obj: o})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
