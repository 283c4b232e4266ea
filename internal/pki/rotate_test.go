package pki

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestRotateCAKeepsOldTrustWorking: after RotateCA, a leaf issued by the
// new CA verifies against the old CA alone (through the cross-signed
// certificate sent with it) and against the new bundle; an old leaf
// verifies against the new bundle.
func TestRotateCAKeepsOldTrustWorking(t *testing.T) {
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key")
	old, err := LoadOrCreateCA(crt, key, "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	oldPEM, _ := os.ReadFile(crt)
	now := time.Now()
	leaf := Leaf{CommonName: "leaf", DNSNames: []string{"leaf.example"}, Server: true, Client: true}
	if _, err := EnsureLeaf(old, leaf, filepath.Join(dir, "old.crt"), filepath.Join(dir, "old.key"), now); err != nil {
		t.Fatal(err)
	}
	if err := RotateCA(crt, key, "test-ca", now.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	ca, err := LoadOrCreateCA(crt, key, "test-ca")
	if err != nil || len(ca.Cross) == 0 || ca.Cert.Equal(old.Cert) {
		t.Fatalf("rotated CA: %v, cross %d bytes", err, len(ca.Cross))
	}
	if what, err := EnsureLeaf(ca, leaf, filepath.Join(dir, "old.crt"), filepath.Join(dir, "old.key"), now); err != nil || what != Renewed {
		t.Fatalf("a leaf of the old CA must be re-issued: %v %v", what, err)
	}
	bundlePEM, _ := os.ReadFile(crt)
	for name, rootsPEM := range map[string][]byte{"old CA only": oldPEM, "new bundle": bundlePEM} {
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "old.crt"), filepath.Join(dir, "old.key"))
		if err != nil {
			t.Fatal(err)
		}
		roots, inter := x509.NewCertPool(), x509.NewCertPool()
		roots.AppendCertsFromPEM(rootsPEM)
		for _, c := range pair.Certificate[1:] {
			ic, _ := x509.ParseCertificate(c)
			inter.AddCert(ic)
		}
		if _, err := pair.Leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "leaf.example"}); err != nil {
			t.Errorf("new leaf against %s: %v", name, err)
		}
	}
	oldLeaf, _ := x509.ParseCertificate(mustDER(t, old, leaf, now))
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(bundlePEM)
	if _, err := oldLeaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: "leaf.example"}); err != nil {
		t.Errorf("old leaf against the new bundle: %v", err)
	}
}

func mustDER(t *testing.T, ca *CA, l Leaf, now time.Time) []byte {
	k, err := newKey()
	if err != nil {
		t.Fatal(err)
	}
	pemChain, err := Sign(ca, l, k.Public(), now)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemChain)
	return block.Bytes
}
