package ociimage

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func TestWriteIsReproducibleAndReadable(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "app")
	if err := os.WriteFile(bin, []byte("#!binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := Spec{Ref: "localhost/app:v1", Binary: bin, InImage: "/bin/app", Env: []string{"PORT=8080"}, Ports: []string{"8080/tcp"}}
	d1, err := Write(spec, filepath.Join(dir, "a.tar"))
	if err != nil {
		t.Fatal(err)
	}
	d2, err := Write(spec, filepath.Join(dir, "b.tar"))
	if err != nil || d1 != d2 {
		t.Fatalf("digests differ for the same input: %v %v (%v)", d1, d2, err)
	}
	tag, _ := name.NewTag("localhost/app:v1")
	img, err := tarball.ImageFromPath(filepath.Join(dir, "a.tar"), &tag)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	cfg, _ := img.ConfigFile()
	if cfg.Config.Entrypoint[0] != "/bin/app" || cfg.Config.Env[0] != "PORT=8080" || cfg.OS != "linux" {
		t.Fatalf("config %+v", cfg.Config)
	}
	tr := tar.NewReader(mutate.Extract(img))
	found := false
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "bin/app" && h.Mode&0o111 != 0 {
			found = true
		}
	}
	if !found {
		t.Fatal("binary not in the image, or not executable")
	}
}

func TestWriteRejectsBadReference(t *testing.T) {
	if _, err := Write(Spec{Ref: "Bad Ref", Binary: "/dev/null", InImage: "/x"}, filepath.Join(t.TempDir(), "x.tar")); err == nil {
		t.Fatal("want error")
	}
}
