package helm

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/storage/driver"
	"helm.sh/helm/v3/pkg/strvals"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/klog/v2"
)

// Spec is the part of a HelmChart shoal acts on.
type Spec struct {
	Chart           string            `json:"chart,omitempty"`
	ChartContent    string            `json:"chartContent,omitempty"`
	TargetNamespace string            `json:"targetNamespace,omitempty"`
	ValuesContent   string            `json:"valuesContent,omitempty"`
	Set             map[string]string `json:"set,omitempty"`
}

// loadChart reads the chart archive named by spec (a file of chartsDir,
// never outside it) or carried inline.
func loadChart(spec Spec, chartsDir string) (*chart.Chart, []byte, error) {
	var tgz []byte
	switch {
	case spec.ChartContent != "":
		b, err := base64.StdEncoding.DecodeString(spec.ChartContent)
		if err != nil {
			return nil, nil, fmt.Errorf("spec.chartContent: not base64: %w", err)
		}
		tgz = b
	case spec.Chart != "":
		if filepath.Base(spec.Chart) != spec.Chart || !strings.HasSuffix(spec.Chart, ".tgz") {
			return nil, nil, fmt.Errorf("spec.chart %q: must be the name of a .tgz file in %s", spec.Chart, chartsDir)
		}
		b, err := os.ReadFile(filepath.Join(chartsDir, spec.Chart))
		if err != nil {
			return nil, nil, fmt.Errorf("spec.chart: %w", err)
		}
		tgz = b
	default:
		return nil, nil, errors.New("spec.chart or spec.chartContent is required")
	}
	ch, err := loader.LoadArchive(bytes.NewReader(tgz))
	if err != nil {
		return nil, nil, fmt.Errorf("chart archive: %w", err)
	}
	return ch, tgz, nil
}

// values merges valuesContent and set (in key order).
func values(spec Spec) (map[string]any, error) {
	vals, err := chartutil.ReadValues([]byte(spec.ValuesContent))
	if err != nil {
		return nil, fmt.Errorf("spec.valuesContent: %w", err)
	}
	keys := make([]string, 0, len(spec.Set))
	for k := range spec.Set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := strvals.ParseInto(k+"="+spec.Set[k], vals); err != nil {
			return nil, fmt.Errorf("spec.set[%s]: %w", k, err)
		}
	}
	return vals, nil
}

// releaser runs helm actions with the admin kubeconfig.
type releaser struct{ kubeconfig string }

func (r releaser) config(ns string) (*action.Configuration, error) {
	flags := genericclioptions.NewConfigFlags(false)
	flags.KubeConfig = &r.kubeconfig
	flags.Namespace = &ns
	cfg := new(action.Configuration)
	err := cfg.Init(flags, ns, "secret", func(format string, v ...any) { klog.V(4).Infof("helm: "+format, v...) })
	return cfg, err
}

// apply installs the release, or upgrades it if it exists; it returns the
// release's revision.
func (r releaser) apply(ctx context.Context, name, ns string, ch *chart.Chart, vals map[string]any) (int, error) {
	cfg, err := r.config(ns)
	if err != nil {
		return 0, err
	}
	hist := action.NewHistory(cfg)
	hist.Max = 1
	if _, err := hist.Run(name); errors.Is(err, driver.ErrReleaseNotFound) {
		install := action.NewInstall(cfg)
		install.ReleaseName, install.Namespace, install.CreateNamespace = name, ns, true
		rel, ierr := install.RunWithContext(ctx, ch, vals)
		if ierr != nil {
			return 0, fmt.Errorf("install: %w", ierr)
		}
		return rel.Version, nil
	} else if err != nil {
		return 0, err
	}
	upgrade := action.NewUpgrade(cfg)
	upgrade.Namespace = ns
	rel, err := upgrade.RunWithContext(ctx, name, ch, vals)
	if err != nil {
		return 0, fmt.Errorf("upgrade: %w", err)
	}
	return rel.Version, nil
}

func (r releaser) uninstall(name, ns string) error {
	cfg, err := r.config(ns)
	if err != nil {
		return err
	}
	_, err = action.NewUninstall(cfg).Run(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil
	}
	return err
}
