package addons

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

//go:embed manifests/*.yaml
var manifests embed.FS

// Names are the addons --disable accepts, as K3s users spell them (the
// ingress controller is "ingress" whatever implements it).
var Names = []string{"coredns", "servicelb", "local-storage", "metrics-server", "ingress"}

// Validate checks --disable values.
func Validate(disabled []string) error {
	for _, d := range disabled {
		if !slices.Contains(Names, d) {
			return fmt.Errorf("--disable %q: unknown addon, want one of %s", d, strings.Join(Names, ", "))
		}
	}
	return nil
}

// Values fill the manifests' templates.
type Values struct {
	ClusterDNS    string
	ClusterDomain string
	StorageDir    string // local-path volumes live under it
	// KubeletServingCA is the PEM of the CA of kubelets' serving
	// certificates (metrics-server verifies kubelets with it), each line
	// indented for a YAML block scalar.
	KubeletServingCA string
}

// IndentPEM indents every line of pem by n spaces (a YAML block scalar).
func IndentPEM(pem string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimSpace(pem), "\n")
	return pad + strings.Join(lines, "\n"+pad)
}

// Write renders every embedded manifest of an enabled addon into dir
// (rewriting it only when its content changed) and removes the file of
// every disabled one, which makes the deploy controller delete its
// objects. It returns the names written.
func Write(dir string, disabled []string, v Values) ([]string, error) {
	entries, err := manifests.ReadDir("manifests")
	if err != nil {
		return nil, err
	}
	var written []string
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".yaml")
		path := filepath.Join(dir, e.Name())
		if slices.Contains(disabled, name) {
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				return nil, err
			}
			continue
		}
		raw, err := manifests.ReadFile("manifests/" + e.Name())
		if err != nil {
			return nil, err
		}
		tmpl, err := template.New(name).Option("missingkey=error").Parse(string(raw))
		if err != nil {
			return nil, fmt.Errorf("addon %s: %w", name, err)
		}
		var b bytes.Buffer
		b.WriteString("# Written by shoal at every start from its embedded addon; edits are overwritten.\n# Disable it with --disable " + name + ".\n")
		if err := tmpl.Execute(&b, v); err != nil {
			return nil, fmt.Errorf("addon %s: %w", name, err)
		}
		if cur, err := os.ReadFile(path); err == nil && bytes.Equal(cur, b.Bytes()) {
			continue
		}
		if err := atomicfile.Write(path, b.Bytes(), 0o600); err != nil {
			return nil, err
		}
		written = append(written, name)
	}
	return written, nil
}
