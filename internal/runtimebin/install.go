package runtimebin

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

//go:embed assets
var assets embed.FS

// Required are the executables a node cannot run without.
var Required = []string{"containerd", "runc", "containerd-shim-runc-v2", "bridge", "host-local", "loopback", "portmap"}

const stampFile = ".shoal-runtime"

// sumsFile holds `sha256sum` of every embedded executable, written by
// `make runtime`.
const sumsFile = "SHA256SUMS"

// Install unpacks every embedded executable into dir (0755), unless the
// same set is already there. It reports whether it wrote anything.
func Install(dir string) (bool, error) {
	return install(assets, dir)
}

func install(fsys fs.FS, dir string) (bool, error) {
	names, stamp, err := inventory(fsys)
	if err != nil {
		return false, err
	}
	var missing []string
	for _, r := range Required {
		if _, ok := names[r]; !ok {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return false, fmt.Errorf("this shoal binary carries no %s: build it with `make build` (which runs `make runtime`)", strings.Join(missing, ", "))
	}
	if current(dir, names, stamp) {
		return false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	for name, path := range names {
		if err := unpack(fsys, path, filepath.Join(dir, name)); err != nil {
			return false, fmt.Errorf("unpack %s into %s: %w", name, dir, err)
		}
	}
	return true, atomicfile.Write(filepath.Join(dir, stampFile), []byte(stamp+"\n"), 0o644)
}

// inventory lists the embedded executables (name → path) and a digest of
// all of them, which identifies this set.
func inventory(fsys fs.FS) (map[string]string, string, error) {
	entries, err := fs.ReadDir(fsys, "assets")
	if err != nil {
		return nil, "", err
	}
	names := map[string]string{}
	var keys []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".zst"); ok && !e.IsDir() {
			names[n] = "assets/" + e.Name()
			keys = append(keys, n)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	// `make runtime` writes the set's checksums beside it: hashing those
	// instead of the executables keeps a start from reading ≈ 30 MB of
	// shoal's own binary (its pages would count in the process's memory).
	if sums, err := fs.ReadFile(fsys, "assets/"+sumsFile); err == nil {
		h.Write(sums)
		return names, hex.EncodeToString(h.Sum(nil)), nil
	}
	for _, k := range keys {
		if err := hashFile(fsys, names[k], k, h); err != nil {
			return nil, "", err
		}
	}
	return names, hex.EncodeToString(h.Sum(nil)), nil
}

func current(dir string, names map[string]string, stamp string) bool {
	b, err := os.ReadFile(filepath.Join(dir, stampFile))
	if err != nil || strings.TrimSpace(string(b)) != stamp {
		return false
	}
	for n := range names {
		if st, err := os.Stat(filepath.Join(dir, n)); err != nil || st.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// hashFile writes name, size and content of path into h, streaming: the
// set is tens of MB and a small box's soft memory limit is not.
func hashFile(fsys fs.FS, path, name string, h io.Writer) error {
	f, err := fsys.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	fmt.Fprintf(h, "%s %d\n", name, st.Size())
	_, err = io.Copy(h, f)
	return err
}

// unpack decompresses src (zstd) into dst through a temporary file, never
// holding the executable (containerd: ≈ 40 MB) in memory; the decoder
// keeps its buffers small (a 512 MB box unpacks at start).
func unpack(fsys fs.FS, src, dst string) error {
	f, err := fsys.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := zstd.NewReader(f, zstd.WithDecoderLowmem(true), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return err
	}
	defer zr.Close()
	return atomicfile.WriteFrom(dst, zr, 0o755)
}
