package gitops

import (
	"fmt"
	"path"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/object"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
)

// renderChart templates the chart in sub (at p) with the target's values
// over its values.yaml, as `helm template` would, into objects.
func renderChart(sub *object.Tree, p string, opts *HelmOptions, namespace string) ([]item, error) {
	var files []*loader.BufferedFile
	err := sub.Files().ForEach(func(f *object.File) error {
		b, err := f.Contents()
		files = append(files, &loader.BufferedFile{Name: f.Name, Data: []byte(b)})
		return err
	})
	if err != nil {
		return nil, err
	}
	ch, err := loader.LoadFiles(files)
	if err != nil {
		return nil, fmt.Errorf("%s: chart: %w", path.Join(p, "Chart.yaml"), err)
	}
	release := path.Base(p)
	var vals map[string]any
	if opts != nil {
		vals = opts.Values
		if opts.ReleaseName != "" {
			release = opts.ReleaseName
		}
	}
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: release, Namespace: namespace, IsInstall: true},
		chartutil.DefaultCapabilities)
	if err != nil {
		return nil, fmt.Errorf("%s: values: %w", p, err)
	}
	rendered, err := engine.Render(ch, rv)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	var out []item
	for _, name := range sortedKeys(rendered) {
		if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") {
			continue // NOTES.txt, helpers
		}
		// name is CHART/templates/…: report it under the repository path.
		file := path.Join(p, strings.TrimPrefix(name, ch.Name()+"/"))
		items, err := decodeAs(file, rendered[name])
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
	}
	return out, nil
}
