package ociimage

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestRootFSKeepsLinksModesAndConfig(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "bin"), 0o755))
	must(os.WriteFile(filepath.Join(root, "bin/busybox"), []byte("bb"), 0o755))
	must(os.Symlink("busybox", filepath.Join(root, "bin/sh")))
	must(os.WriteFile(filepath.Join(root, "bin/nnp"), []byte("nnp"), 0o755))
	must(os.Chmod(filepath.Join(root, "bin/nnp"), os.ModeSetuid|0o755))
	must(os.Mkdir(filepath.Join(root, "tmp"), 0o755))
	must(os.Chmod(filepath.Join(root, "tmp"), os.ModeSticky|0o777))
	spec := Spec{Ref: "example.com/e2e/busybox:1", MoreRefs: []string{"example.com/e2e/busybox:2"}, RootFS: root,
		Cmd: []string{"sh"}, User: "1234", WorkingDir: "/tmp"}
	out := filepath.Join(dir, "img.tar")
	d1, err := Write(spec, out)
	must(err)
	if d2, err := Write(spec, filepath.Join(dir, "again.tar")); err != nil || d1 != d2 {
		t.Fatalf("digests differ for the same tree: %v %v (%v)", d1, d2, err)
	}
	for _, ref := range []string{"example.com/e2e/busybox:1", "example.com/e2e/busybox:2"} {
		tag, _ := name.NewTag(ref)
		img, err := tarball.ImageFromPath(out, &tag)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		cfg, _ := img.ConfigFile()
		if cfg.Config.Cmd[0] != "sh" || cfg.Config.User != "1234" || cfg.Config.WorkingDir != "/tmp" {
			t.Fatalf("config %+v", cfg.Config)
		}
		seen := map[string]*tar.Header{}
		tr := tar.NewReader(mutate.Extract(img))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			must(err)
			seen[strings.TrimSuffix(h.Name, "/")] = h
		}
		if h := seen["bin/sh"]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != "busybox" {
			t.Fatalf("bin/sh: %+v", h)
		}
		if h := seen["bin/nnp"]; h == nil || h.Mode&0o4000 == 0 {
			t.Fatalf("bin/nnp lost its set-uid bit: %+v", h)
		}
		if h := seen["tmp"]; h == nil || h.Mode&0o1000 == 0 {
			t.Fatalf("tmp lost its sticky bit: %+v", h)
		}
	}
}

func TestRootFSRefusesDevices(t *testing.T) {
	if _, err := tarDir("/dev/null/.."); err == nil {
		t.Fatal("want an error for a tree with device files")
	}
}
