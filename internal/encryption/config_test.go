package encryption

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestConfigLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "encryption-config.json")
	if _, _, err := Ensure(path, "rot13", time.Now()); err == nil || !strings.Contains(err.Error(), "--secrets-encryption-provider") {
		t.Errorf("unknown provider accepted: %v", err)
	}
	c, created, err := Ensure(path, "secretbox", time.Now())
	if err != nil || !created || !c.Enabled() {
		t.Fatalf("ensure: %v created=%v", err, created)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	again, created, err := Ensure(path, "aescbc", time.Now())
	if err != nil || created || !strings.Contains(again.Describe(), "Provider: secretbox") {
		t.Fatalf("second start must keep the file: %v %v\n%s", err, created, again.Describe())
	}
	c.SetEnabled(false)
	if c.Enabled() || c.providers()[0].Identity == nil || c.providers()[1].Secretbox == nil {
		t.Errorf("disable: identity must write, secretbox still read")
	}
	c.SetEnabled(true)
	if !c.Enabled() {
		t.Error("enable: secretbox must write")
	}
	newKey := c.Rotate(time.Now().Add(time.Second))
	if keys, _ := c.keys(); len(*keys) != 2 || (*keys)[0].Name != newKey {
		t.Fatalf("rotate: %+v", *keys)
	}
	if n := c.Prune(); n != 1 {
		t.Errorf("pruned %d keys, want 1", n)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil || !strings.Contains(loaded.Describe(), newKey) || !loaded.Enabled() {
		t.Errorf("reloaded: %v\n%s", err, loaded.Describe())
	}
}
