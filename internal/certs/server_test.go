package certs

import (
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/shoal-dev/shoal/internal/config"
	"github.com/shoal-dev/shoal/internal/pki"
)

func completed(t *testing.T, dataDir string, args ...string) *config.Server {
	t.Helper()
	cfg := &config.Server{}
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	cfg.AddFlags(fs)
	if err := fs.Parse(append([]string{"--data-dir=" + dataDir, "--advertise-address=192.0.2.10"}, args...)); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Complete(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestEnsureIssuesOnceThenReuses(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	s, issued, err := Ensure(completed(t, dir), now)
	if err != nil || issued != 11 {
		t.Fatalf("first start: issued %d, err %v", issued, err)
	}
	if _, issued, _ = Ensure(completed(t, dir), now); issued != 0 {
		t.Fatalf("restart issued %d certificates", issued)
	}
	// A new --tls-san re-issues the serving certificate only.
	if _, issued, _ = Ensure(completed(t, dir, "--tls-san=shoal.example", "--tls-san=198.51.100.7"), now); issued != 1 {
		t.Fatalf("new SAN issued %d certificates, want 1", issued)
	}
	cert, err := pki.LoadCert(s.APIServerServing.Cert)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"shoal.example", "198.51.100.7", "10.43.0.1", "192.0.2.10", "127.0.0.1", "localhost", "kubernetes.default.svc.cluster.local"} {
		if err := cert.VerifyHostname(name); err != nil {
			t.Errorf("serving cert: %v", err)
		}
	}
	admin, _ := pki.LoadCert(s.Admin.Cert)
	if admin.Subject.CommonName != "system:admin" || admin.Subject.Organization[0] != "system:masters" ||
		admin.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
		t.Errorf("admin identity: %+v %v", admin.Subject, admin.ExtKeyUsage)
	}
	for _, key := range []string{s.ServerCA.Key, s.ClientCA.Key, s.Admin.Key, s.ServiceAccountKey} {
		if st, err := os.Stat(key); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v mode %v", key, err, st.Mode())
		}
	}
}
