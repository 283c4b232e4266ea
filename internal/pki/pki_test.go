package pki

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCAAndLeafLifecycle(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(filepath.Join(dir, "ca.key"))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("CA key mode %o", st.Mode().Perm())
	}
	again, err := LoadOrCreateCA(filepath.Join(dir, "ca.crt"), filepath.Join(dir, "ca.key"), "test-ca")
	if err != nil || !again.Cert.Equal(ca.Cert) {
		t.Fatalf("CA not reused: %v", err)
	}

	crt, key := filepath.Join(dir, "s.crt"), filepath.Join(dir, "s.key")
	leaf := Leaf{CommonName: "kube-apiserver", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true}
	now := time.Now()
	steps := []struct {
		name string
		leaf Leaf
		at   time.Time
		want Issued
	}{
		{"first start creates", leaf, now, Created},
		{"restart reuses", leaf, now, Reused},
		{"new SAN re-issues", withIP(leaf, "10.0.0.9"), now, Renewed},
		{"near expiry renews", withIP(leaf, "10.0.0.9"), now.Add(LeafValidity - RenewBefore + time.Hour), Renewed},
	}
	for _, s := range steps {
		got, lerr := EnsureLeaf(ca, s.leaf, crt, key, s.at)
		if lerr != nil || got != s.want {
			t.Fatalf("%s: got %v %v, want %v", s.name, got, lerr, s.want)
		}
	}
	cert, err := LoadCert(crt)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", CurrentTime: steps[len(steps)-1].at}); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := cert.VerifyHostname("10.0.0.9"); err != nil {
		t.Fatal(err)
	}
	st, _ = os.Stat(key)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("leaf key mode %o", st.Mode().Perm())
	}
}

func TestLeafReissuedWhenCAChanges(t *testing.T) {
	dir := t.TempDir()
	ca1, _ := LoadOrCreateCA(filepath.Join(dir, "a.crt"), filepath.Join(dir, "a.key"), "a")
	ca2, _ := LoadOrCreateCA(filepath.Join(dir, "b.crt"), filepath.Join(dir, "b.key"), "b")
	l := Leaf{CommonName: "system:admin", Organization: []string{"system:masters"}, Client: true}
	crt, key := filepath.Join(dir, "c.crt"), filepath.Join(dir, "c.key")
	if _, err := EnsureLeaf(ca1, l, crt, key, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, err := EnsureLeaf(ca2, l, crt, key, time.Now()); err != nil || got != Renewed {
		t.Fatalf("got %v %v", got, err)
	}
}

func TestLoadKeyRejectsGarbage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "k")
	os.WriteFile(p, []byte("not pem"), 0o600)
	if _, err := LoadKey(p); err == nil {
		t.Fatal("want error")
	}
}

func withIP(l Leaf, ip string) Leaf {
	l.IPs = append(append([]net.IP{}, l.IPs...), net.ParseIP(ip))
	return l
}
