package gitops

import (
	"fmt"
	"path"

	"github.com/go-git/go-git/v5/plumbing/object"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// renderKustomize builds the kustomization at dir of tree (the whole tree
// is given to kustomize, so overlays may reach their bases).
func renderKustomize(tree *object.Tree, dir string) ([]item, error) {
	fs := filesys.MakeFsInMemory()
	err := tree.Files().ForEach(func(f *object.File) error {
		b, err := f.Contents()
		if err != nil {
			return err
		}
		if err := fs.MkdirAll(path.Dir("/" + f.Name)); err != nil {
			return err
		}
		return fs.WriteFile("/"+f.Name, []byte(b))
	})
	if err != nil {
		return nil, err
	}
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/"+dir)
	if err != nil {
		return nil, fmt.Errorf("%s: kustomize: %w", dir, err)
	}
	y, err := res.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("%s: kustomize: %w", dir, err)
	}
	return decodeAs(path.Join(dir, "kustomization.yaml"), string(y))
}
