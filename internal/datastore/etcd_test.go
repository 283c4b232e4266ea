package datastore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEtcdRefusesAChangedAddress: a member whose host's address changed
// since it last served fails with one line naming both addresses and what
// to run; the same address, or none recorded, starts.
func TestEtcdRefusesAChangedAddress(t *testing.T) {
	e := &Etcd{Member: "s1", Dir: t.TempDir(), AdvertiseIP: "10.0.0.9"}
	if err := e.checkAddress(); err != nil {
		t.Fatalf("nothing recorded: %v", err)
	}
	if err := os.MkdirAll(filepath.Join(e.Dir, "member"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.peerURLFile(), []byte(e.peerURL()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.checkAddress(); err != nil {
		t.Fatalf("same address: %v", err)
	}
	e.AdvertiseIP = "10.0.0.12"
	err := e.checkAddress()
	if err == nil {
		t.Fatal("a changed address was accepted")
	}
	for _, want := range []string{"--advertise-address", "https://10.0.0.9:2380", "https://10.0.0.12:2380", "--cluster-reset-restore-path"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error spans lines: %q", err)
	}
}
