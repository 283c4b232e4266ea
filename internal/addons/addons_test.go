package addons

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteRendersEnabledAndRemovesDisabled(t *testing.T) {
	dir := t.TempDir()
	v := Values{ClusterDNS: "10.43.0.10", ClusterDomain: "cluster.local", StorageDir: "/var/lib/shoal/storage", ServerCA: "QUE=", MetricsServerPort: 10251}
	written, err := Write(dir, nil, v)
	if err != nil || len(written) == 0 {
		t.Fatalf("written %v err %v", written, err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "local-storage.yaml"))
	if err != nil || !strings.Contains(string(b), "path: /var/lib/shoal/storage") {
		t.Fatalf("local-storage.yaml: %v\n%s", err, b)
	}
	if again, _ := Write(dir, nil, v); len(again) != 0 {
		t.Errorf("unchanged manifests rewritten: %v", again)
	}
	if _, err := Write(dir, []string{"local-storage"}, v); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "local-storage.yaml")); !os.IsNotExist(err) {
		t.Errorf("disabled addon's manifest still there: %v", err)
	}
}

func TestValidateNamesTheFlag(t *testing.T) {
	if err := Validate([]string{"coredns", "traefik"}); err == nil || !strings.HasPrefix(err.Error(), `--disable "traefik"`) {
		t.Fatalf("err = %v", err)
	}
}

// Every addon --disable accepts that runs as pods has a manifest of that
// name, so disabling it removes its objects (servicelb runs in shoal).
func TestEveryPodAddonHasItsManifest(t *testing.T) {
	for _, name := range Names {
		if name == "servicelb" {
			continue
		}
		if _, err := manifests.ReadFile("manifests/" + name + ".yaml"); err != nil {
			t.Errorf("addon %s: %v", name, err)
		}
	}
}
