package bootstrap

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	files := map[string][]byte{"server/tls/server-ca.key": []byte("secret key"), "server/token": []byte("K10x::server:y\n")}
	blob, err := Seal(files, "server:abc")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, []byte("secret key")) {
		t.Fatal("sealed data contains a file in clear")
	}
	got, err := Open(blob, "server:abc")
	if err != nil || string(got["server/tls/server-ca.key"]) != "secret key" || len(got) != 2 {
		t.Fatalf("open: %v %v", got, err)
	}
	if _, err := Open(blob, "server:wrong"); err == nil || !strings.Contains(err.Error(), "wrong --token") {
		t.Fatalf("a wrong credential opened the data: %v", err)
	}
	if Key("server:abc") == Key("server:wrong") || strings.Contains(Key("server:abc"), "abc") {
		t.Fatal("keys must differ by credential and not show it")
	}
}

func TestWriteMissingKeepsExistingAndStaysInside(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "server"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "server", "token"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := WriteMissing(dir, map[string][]byte{"server/token": []byte("theirs"), "server/tls/a.crt": []byte("a"),
		"../../escape": []byte("x")})
	if err != nil || n != 2 {
		t.Fatalf("wrote %d, %v", n, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "server", "token")); string(b) != "mine" {
		t.Error("an existing file was replaced")
	}
	if _, err := os.Stat(filepath.Join(dir, "escape")); err != nil {
		t.Error("a ../ path was not kept inside the data dir")
	}
	if fi, err := os.Stat(filepath.Join(dir, "server", "tls", "a.crt")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("a.crt: %v %v", fi, err)
	}
}
