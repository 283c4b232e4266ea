package certs

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/pki"
)

// A running shoal restarts (to re-issue at start) once a leaf comes
// within RenewBefore of expiry, not before; CAs do not count.
func TestRenewalRestartsNearExpiry(t *testing.T) {
	tls := t.TempDir()
	ca, err := pki.LoadOrCreateCA(filepath.Join(tls, "server-ca.crt"), filepath.Join(tls, "server-ca.key"), "c")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pki.EnsureLeaf(ca, pki.Leaf{CommonName: "kubelet", Client: true}, filepath.Join(tls, "kubelet.crt"), filepath.Join(tls, "kubelet.key"), time.Now()); err != nil {
		t.Fatal(err)
	}
	r := &Renewal{Dirs: []string{tls}, Now: time.Now}
	if err := r.Due(); err != nil {
		t.Fatalf("a new certificate: %v", err)
	}
	r.Now = func() time.Time { return time.Now().Add(pki.LeafValidity - pki.RenewBefore + time.Hour) }
	err = r.Due()
	if !errors.Is(err, lifecycle.ErrRestart) || !strings.Contains(err.Error(), "kubelet.crt") {
		t.Fatalf("within RenewBefore of expiry: %v", err)
	}
}
