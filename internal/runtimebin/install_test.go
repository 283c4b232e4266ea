package runtimebin

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func fakeAssets(t *testing.T, version string) fstest.MapFS {
	m := fstest.MapFS{"assets/README.md": {Data: []byte("x")}}
	for _, n := range Required {
		m["assets/"+n+".gz"] = &fstest.MapFile{Data: gz(t, n+" "+version)}
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
	delete(m, "assets/runc.gz")
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
	m["assets/"+sumsFile] = &fstest.MapFile{Data: []byte("aaaa  runc.gz\n")}
	if wrote, err := install(m, dir); err != nil || !wrote {
		t.Fatalf("first install: wrote=%v err=%v", wrote, err)
	}
	if wrote, err := install(m, dir); err != nil || wrote {
		t.Fatalf("same sums reinstalled: wrote=%v err=%v", wrote, err)
	}
	m = fakeAssets(t, "v2")
	m["assets/"+sumsFile] = &fstest.MapFile{Data: []byte("bbbb  runc.gz\n")}
	if wrote, err := install(m, dir); err != nil || !wrote {
		t.Fatalf("new sums: wrote=%v err=%v", wrote, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "containerd")); string(b) != "containerd v2" {
		t.Fatalf("containerd content %q", b)
	}
}
