package runtimebin

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/klauspost/compress/zstd"
)

func zst(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := zstd.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func fakeAssets(t *testing.T, version string) fstest.MapFS {
	m := fstest.MapFS{"assets/README.md": {Data: []byte("x")}}
	for _, n := range Required {
		m["assets/"+n+".zst"] = &fstest.MapFile{Data: zst(t, n+" "+version)}
	}
	return m
}

func TestInstallUnpacksOnceAndReplacesOnChange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bin")
	wrote, err := install(fakeAssets(t, "v1"), dir)
	if err != nil || !wrote {
		t.Fatalf("first install: wrote=%v err=%v", wrote, err)
	}
	st, err := os.Stat(filepath.Join(dir, "runc"))
	if err != nil || st.Mode().Perm() != 0o755 {
		t.Fatalf("runc not executable: %v %v", st, err)
	}
	if wrote, err = install(fakeAssets(t, "v1"), dir); err != nil || wrote {
		t.Fatalf("same set reinstalled: wrote=%v err=%v", wrote, err)
	}
	os.Remove(filepath.Join(dir, "portmap"))
	if wrote, _ = install(fakeAssets(t, "v1"), dir); !wrote {
		t.Fatal("a deleted plugin was not restored")
	}
	if wrote, _ = install(fakeAssets(t, "v2"), dir); !wrote {
		t.Fatal("a new set was not installed")
	}
	b, _ := os.ReadFile(filepath.Join(dir, "runc"))
	if string(b) != "runc v2" {
		t.Fatalf("runc content %q", b)
	}
}

func TestInstallNamesMissingExecutables(t *testing.T) {
	m := fakeAssets(t, "v1")
	delete(m, "assets/runc.zst")
	_, err := install(m, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no runc") {
		t.Fatalf("err = %v", err)
	}
}

// With the checksums `make runtime` writes, the set is identified by them:
// a new SHA256SUMS installs again, the same one does not.
func TestInstallIdentifiesTheSetByItsChecksums(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bin")
	m := fakeAssets(t, "v1")
	m["assets/"+sumsFile] = &fstest.MapFile{Data: []byte("aaaa  runc.zst\n")}
	if wrote, err := install(m, dir); err != nil || !wrote {
		t.Fatalf("first install: wrote=%v err=%v", wrote, err)
	}
	if wrote, err := install(m, dir); err != nil || wrote {
		t.Fatalf("same sums reinstalled: wrote=%v err=%v", wrote, err)
	}
	m = fakeAssets(t, "v2")
	m["assets/"+sumsFile] = &fstest.MapFile{Data: []byte("bbbb  runc.zst\n")}
	if wrote, err := install(m, dir); err != nil || !wrote {
		t.Fatalf("new sums: wrote=%v err=%v", wrote, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "containerd")); string(b) != "containerd v2" {
		t.Fatalf("containerd content %q", b)
	}
}

// A damaged archive stops the install with an error naming the executable
// and leaves what was installed before in place.
func TestInstallRefusesADamagedArchive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bin")
	if _, err := install(fakeAssets(t, "v1"), dir); err != nil {
		t.Fatal(err)
	}
	m := fakeAssets(t, "v2")
	good := m["assets/runc.zst"].Data
	m["assets/runc.zst"] = &fstest.MapFile{Data: good[:len(good)-4]}
	if _, err := install(m, dir); err == nil || !strings.Contains(err.Error(), "unpack runc") {
		t.Fatalf("err = %v, want one naming runc", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "runc")); string(b) != "runc v1" {
		t.Fatalf("runc is %q after a failed install, want the old one", b)
	}
}
