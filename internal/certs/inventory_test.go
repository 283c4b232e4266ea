package certs

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shoal-dev/shoal/internal/pki"
)

func TestInventoryStatusAndRotate(t *testing.T) {
	data := t.TempDir()
	tls := filepath.Join(data, "server", "tls")
	if err := os.MkdirAll(tls, 0o700); err != nil {
		t.Fatal(err)
	}
	ca, err := pki.LoadOrCreateCA(filepath.Join(tls, "client-ca.crt"), filepath.Join(tls, "client-ca.key"), "c")
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-pki.LeafValidity + 30*24*time.Hour) // issued so long ago it expires in 30 days
	for name, when := range map[string]time.Time{"client-admin": time.Now(), "client-kubelet": old} {
		if _, err := pki.EnsureLeaf(ca, pki.Leaf{CommonName: name, Client: true}, filepath.Join(tls, name+".crt"), filepath.Join(tls, name+".key"), when); err != nil {
			t.Fatal(err)
		}
	}
	files, err := Inventory(tls, filepath.Join(data, "agent", "tls"))
	if err != nil || len(files) != 3 {
		t.Fatalf("inventory %v %v", files, err)
	}
	status := map[string]string{}
	for _, f := range files {
		status[filepath.Base(f.Path)] = f.Status(time.Now())
	}
	if status["client-ca.crt"] != "ok" || status["client-admin.crt"] != "ok" || status["client-kubelet.crt"] != "expires soon (re-issued at next start)" {
		t.Errorf("statuses %v", status)
	}
	moved, err := Rotate(files, []string{"kubelet"}, filepath.Join(data, "backup"))
	if err != nil || len(moved) != 1 {
		t.Fatalf("rotate kubelet only: %v %v", moved, err)
	}
	for _, gone := range []string{"client-kubelet.crt", "client-kubelet.key"} {
		if _, err := os.Stat(filepath.Join(tls, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still in place", gone)
		}
		if _, err := os.Stat(filepath.Join(data, "backup", "server", "tls", gone)); err != nil {
			t.Errorf("%s not backed up: %v", gone, err)
		}
	}
	if _, err := os.Stat(filepath.Join(tls, "client-ca.crt")); err != nil {
		t.Error("a CA was moved")
	}
}
