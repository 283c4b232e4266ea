package runtimebin

import (
	"bytes"
	"compress/gzip"
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

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

//go:embed assets
var assets embed.FS

// Required are the executables a node cannot run without.
var Required = []string{"runc", "containerd-shim-runc-v2", "bridge", "host-local", "loopback", "portmap"}

const stampFile = ".shoal-runtime"

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
		if n, ok := strings.CutSuffix(e.Name(), ".gz"); ok && !e.IsDir() {
			names[n] = "assets/" + e.Name()
			keys = append(keys, n)
		}
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		b, err := fs.ReadFile(fsys, names[k])
		if err != nil {
			return nil, "", err
		}
		fmt.Fprintf(h, "%s %d\n", k, len(b))
		h.Write(b)
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

func unpack(fsys fs.FS, src, dst string) error {
	b, err := fs.ReadFile(fsys, src)
	if err != nil {
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	return atomicfile.Write(dst, data, 0o755)
}
