package integration

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawDatastore is every byte the datastore holds for the cluster: SQLite's
// file and WAL, or etcd's bbolt file and WAL (fsynced before a write is
// acknowledged).
func rawDatastore(t *testing.T, dir string) []byte {
	var all []byte
	db := filepath.Join(dir, "server", "db")
	wals, _ := filepath.Glob(filepath.Join(db, "etcd", "member", "wal", "*.wal"))
	for _, f := range append([]string{filepath.Join(db, "state.db"), filepath.Join(db, "state.db-wal"),
		filepath.Join(db, "etcd", "member", "snap", "db")}, wals...) {
		b, err := os.ReadFile(f)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// secretsEncrypt runs `shoal secrets-encrypt ARGS` against the server of
// dir, in network namespace netns ("" for this one).
func secretsEncrypt(t *testing.T, netns, dir string, args ...string) string {
	t.Helper()
	out, err := shoalInNetns(t, netns, append(append([]string{"secrets-encrypt"}, args...), "-d", dir)...)
	if err != nil {
		t.Fatalf("secrets-encrypt %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestSecretsEncryption: with --secrets-encryption a Secret's value never
// reaches the datastore in the clear; after rotate-keys every Secret
// still reads back; after disable new values are plaintext again. On
// SQLite here, on embedded etcd on a test host.
func TestSecretsEncryption(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testSecretsEncryption(t, "", freePort(t)) })
	t.Run("etcd", func(t *testing.T) {
		h := newLAN(t, "shoal-c", 93).host(t, "shoal-c1", 2)
		testSecretsEncryption(t, h.name, 6443, "--cluster-init")
	})
}

func testSecretsEncryption(t *testing.T, netns string, port int, extra ...string) {
	dir := t.TempDir()
	s := startServerIn(t, netns, dir, port, append([]string{"-d", dir, "--https-listen-port", fmt.Sprint(port), "--write-kubeconfig",
		filepath.Join(dir, "kubeconfig.yaml"), "--disable-agent", "--disable", "metrics-server,coredns,ingress",
		"--secrets-encryption"}, extra...)...)
	s.waitReady(3 * time.Minute)
	if fi, err := os.Stat(filepath.Join(dir, "server", "cred", "encryption-config.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("encryption config: %v", err)
	}
	if out := secretsEncrypt(t, netns, dir, "status"); !strings.Contains(out, "Encryption Status: Enabled") || !strings.Contains(out, "Provider: aescbc") {
		t.Errorf("status:\n%s", out)
	}
	secret := func(name, value string) {
		s.mustKubectl(33, "", "create", "secret", "generic", name, "--from-literal=v="+value)
	}
	value := func(name string) string {
		return s.mustKubectl(33, "", "get", "secret", name, "-o", "jsonpath={.data.v}")
	}
	secret("one", "canary-one-plaintext")
	raw := rawDatastore(t, dir)
	if bytes.Contains(raw, []byte("canary-one-plaintext")) || !bytes.Contains(raw, []byte("k8s:enc:aescbc:v1:")) {
		t.Errorf("with encryption on the datastore holds the value in the clear (or nothing encrypted)")
	}
	before := value("one")

	out := secretsEncrypt(t, netns, dir, "rotate-keys")
	for _, want := range []string{"new key aescbckey-", "kube-apiserver applied", "re-encrypted", "dropped 1 old key"} {
		if !strings.Contains(out, want) {
			t.Errorf("rotate-keys output lacks %q:\n%s", want, out)
		}
	}
	if got := value("one"); got != before {
		t.Errorf("after rotate-keys the secret reads %q, want %q", got, before)
	}
	if n := strings.Count(s.mustKubectl(33, "", "get", "secrets", "-A", "-o", "name"), "\n"); n == 0 {
		t.Error("no secrets listed after rotation")
	}

	secretsEncrypt(t, netns, dir, "disable")
	secret("two", "canary-two-plaintext")
	if !bytes.Contains(rawDatastore(t, dir), []byte("canary-two-plaintext")) {
		t.Error("with encryption off a new Secret is not stored in plaintext")
	}
	if got := value("one"); got != before {
		t.Errorf("after disable the first secret reads %q", got)
	}
	if out := secretsEncrypt(t, netns, dir, "status"); !strings.Contains(out, "Disabled") {
		t.Errorf("status after disable:\n%s", out)
	}
}
