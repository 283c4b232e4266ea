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
	// ServerCA is the base64 of the server CA's PEM: the aggregator
	// verifies metrics-server's serving certificate with it.
	ServerCA string
	// MetricsServerPort is where the in-process metrics-server listens.
	MetricsServerPort int
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
