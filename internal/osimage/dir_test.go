package osimage

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-dev/shoal/internal/ociimage"
)

// TestDirBootCounting plays the boot loader: a trial slot is booted while
// it has tries, then abandoned for the default; a confirmed one becomes
// the default.
func TestDirBootCounting(t *testing.T) {
	d := Dir{Root: t.TempDir()}
	boot := func(want string) {
		t.Helper()
		got, err := d.Boot()
		if err != nil || got != want {
			t.Fatalf("booted %q (%v), want %q", got, err, want)
		}
	}
	boot("a")
	if err := d.TryOnce("b", 2); err != nil {
		t.Fatal(err)
	}
	boot("b")
	boot("b")
	boot("a") // two tries spent without a confirm
	st, _ := d.State()
	if st.Failed != "b" || st.Trial != "" || st.Default != "a" {
		t.Fatalf("after the failed trial: %+v", st)
	}
	if err := d.ClearFailed(); err != nil {
		t.Fatal(err)
	}
	if err := d.TryOnce("b", 1); err != nil {
		t.Fatal(err)
	}
	boot("b")
	if err := d.Confirm(); err != nil {
		t.Fatal(err)
	}
	boot("b")
	boot("b")
	if err := d.Confirm(); err == nil {
		t.Fatal("confirmed a slot that is not on trial")
	}
	if err := d.TryOnce("c", 1); err == nil {
		t.Fatal("slot c accepted")
	}
	if err := d.Reboot(); err != ErrReboot {
		t.Fatalf("Dir.Reboot: %v", err)
	}
}

// TestInstall unpacks an image archive into a slot, replacing what was
// there, and refuses an image that cannot boot.
func TestInstall(t *testing.T) {
	tmp := t.TempDir()
	for name, content := range map[string]string{"vmlinuz": "kernel", "initrd": "initrd", "motd": "hello"} {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good := filepath.Join(tmp, "good.tar")
	if _, err := ociimage.Write(ociimage.Spec{Ref: "localhost/os:good", Files: map[string]string{
		"/boot/vmlinuz": filepath.Join(tmp, "vmlinuz"), "/boot/initrd.img": filepath.Join(tmp, "initrd"), "/etc/motd": filepath.Join(tmp, "motd")}}, good); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(tmp, "bad.tar")
	if _, err := ociimage.Write(ociimage.Spec{Ref: "localhost/os:bad", Files: map[string]string{"/etc/motd": filepath.Join(tmp, "motd")}}, bad); err != nil {
		t.Fatal(err)
	}
	d := Dir{Root: filepath.Join(tmp, "disk")}
	if err := os.MkdirAll(d.Dir("b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d.Dir("b"), "stale"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := Install(context.Background(), d, "b", good, Installed{Name: "good", SHA256: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(in.Digest, "sha256:") {
		t.Fatalf("digest %q", in.Digest)
	}
	if b, err := os.ReadFile(filepath.Join(d.Dir("b"), "etc", "motd")); err != nil || string(b) != "hello" {
		t.Fatalf("motd: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(d.Dir("b"), "stale")); !os.IsNotExist(err) {
		t.Fatal("the slot was not emptied first")
	}
	if got, err := ReadInstalled(d.Dir("b")); err != nil || got != in {
		t.Fatalf("recorded %+v (%v), want %+v", got, err, in)
	}
	if _, err := Install(context.Background(), d, "a", bad, Installed{Name: "bad"}); err == nil || !strings.Contains(err.Error(), "has no boot/vmlinuz") {
		t.Fatalf("unbootable image: %v", err)
	}
}
