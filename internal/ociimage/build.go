package ociimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Spec is one single-binary image.
type Spec struct {
	Ref        string   // e.g. localhost/shoal-echo:v1
	Binary     string   // file on disk
	InImage    string   // absolute path inside the image, e.g. /shoal-echo
	Env        []string // KEY=value
	Ports      []string // e.g. 8080/tcp
	Entrypoint []string // defaults to [InImage]
	// Files are more files: absolute path in the image → file on disk
	// (an OS image is files only: Binary may then be empty).
	Files map[string]string
	// RootFS is a directory whose whole tree (symlinks, modes, set-uid
	// bits kept; owners kept) becomes a first layer, under Files/Binary.
	RootFS     string
	Cmd        []string
	User       string
	WorkingDir string
	// MoreRefs are more names for the same image in the tarball.
	MoreRefs []string
}

// epoch makes builds reproducible: same binary, same digest.
var epoch = time.Unix(0, 0).UTC()

// Build returns the image described by s.
func Build(s Spec) (v1.Image, error) {
	files := map[string]string{}
	for in, host := range s.Files {
		files[in] = host
	}
	if s.Binary != "" {
		files[s.InImage] = s.Binary
	}
	var layers []v1.Layer
	if s.RootFS != "" {
		rootTar, err := tarDir(s.RootFS)
		if err != nil {
			return nil, fmt.Errorf("image %s: root file system: %w", s.Ref, err)
		}
		layers = append(layers, layerOf(rootTar))
	}
	if len(files) > 0 || s.RootFS == "" {
		layerTar, err := tarWithFiles(files)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", s.Ref, err)
		}
		layers = append(layers, layerOf(layerTar))
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Created = "linux", "amd64", v1.Time{Time: epoch}
	cfg.Config.Entrypoint = s.Entrypoint
	if len(cfg.Config.Entrypoint) == 0 && s.InImage != "" {
		cfg.Config.Entrypoint = []string{s.InImage}
	}
	cfg.Config.Env = s.Env
	cfg.Config.Cmd, cfg.Config.User, cfg.Config.WorkingDir = s.Cmd, s.User, s.WorkingDir
	if len(s.Ports) > 0 {
		cfg.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range s.Ports {
			cfg.Config.ExposedPorts[p] = struct{}{}
		}
	}
	return mutate.ConfigFile(img, cfg)
}

// Write builds s and writes it as an image tarball tagged s.Ref.
func Write(s Spec, out string) (v1.Hash, error) {
	ref, err := name.NewTag(s.Ref)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("image reference %q: %w", s.Ref, err)
	}
	img, err := Build(s)
	if err != nil {
		return v1.Hash{}, err
	}
	refs := map[name.Reference]v1.Image{ref: img}
	for _, r := range s.MoreRefs {
		more, err := name.NewTag(r)
		if err != nil {
			return v1.Hash{}, fmt.Errorf("image reference %q: %w", r, err)
		}
		refs[more] = img
	}
	if err := tarball.MultiRefWriteToFile(out, refs); err != nil {
		return v1.Hash{}, fmt.Errorf("write %s: %w", out, err)
	}
	return img.Digest()
}

func layerOf(b []byte) v1.Layer {
	l, _ := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}) // the opener cannot fail: the error is always nil here
	return l
}

// tarWithFiles is a layer holding files (path in the image → file on
// disk) and their parent directories, with fixed times: the same inputs
// give the same digest.
func tarWithFiles(files map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	paths := make([]string, 0, len(files))
	for p := range files {
		if !path.IsAbs(p) {
			return nil, fmt.Errorf("%s: not an absolute path in the image", p)
		}
		paths = append(paths, p)
	}
	sort.Strings(paths)
	dirs := map[string]bool{"/": true}
	var mkdirs func(d string) error
	mkdirs = func(d string) error {
		if dirs[d] {
			return nil
		}
		if err := mkdirs(path.Dir(d)); err != nil {
			return err
		}
		dirs[d] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d[1:] + "/", Mode: 0o755, ModTime: epoch})
	}
	for _, p := range paths {
		data, err := os.ReadFile(files[p])
		if err != nil {
			return nil, err
		}
		if err := mkdirs(path.Dir(p)); err != nil {
			return nil, err
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: p[1:], Mode: 0o755, Size: int64(len(data)), ModTime: epoch}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
