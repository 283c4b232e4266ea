// Command shoal-unpack is the front of the release binary (`make
// release`): the real shoal follows it, zstd-compressed, with a trailer.
// On start it unpacks shoal once into <data-dir>/bin/<sha256>/shoal
// (the data dir from -d/--data-dir, default /var/lib/shoal), checks it,
// and executes it with the same arguments: the binary then runs from a
// file (its pages shared and evictable) instead of being inflated into
// anonymous memory at every start, as an in-place compressor would.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/klauspost/compress/zstd"
)

// Trailer is the last trailerSize bytes: magic, payload offset and
// length, sha256 of the unpacked binary.
const (
	magic       = "SHOALPK1"
	trailerSize = 8 + 8 + 8 + 32
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "shoal:", err)
		os.Exit(1)
	}
}

func run() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	f, err := os.Open(self)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	tr := make([]byte, trailerSize)
	if _, err := f.ReadAt(tr, fi.Size()-trailerSize); err != nil || !bytes.Equal(tr[:8], []byte(magic)) {
		return fmt.Errorf("%s: no packed shoal inside (not built by make release?)", self)
	}
	off, size := int64(binary.LittleEndian.Uint64(tr[8:16])), int64(binary.LittleEndian.Uint64(tr[16:24]))
	sum := hex.EncodeToString(tr[24:])
	target := filepath.Join(dataDir(os.Args[1:]), "bin", sum[:16], "shoal")
	if _, err := os.Stat(target); errors.Is(err, os.ErrNotExist) {
		if err := unpack(io.NewSectionReader(f, off, size), target, sum); err != nil {
			return fmt.Errorf("unpack into %s: %w", target, err)
		}
	}
	// shoal install copies the packed file, not the unpacked one.
	return syscall.Exec(target, os.Args, append(os.Environ(), "SHOAL_PACKED="+self))
}

// dataDir is the -d/--data-dir argument, else shoal's default.
func dataDir(args []string) string {
	for i, a := range args {
		for _, flag := range []string{"-d", "--data-dir"} {
			if a == flag && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				return v
			}
		}
	}
	return "/var/lib/shoal"
}

// unpack inflates r into target through a temporary file, checking sum:
// a crash or a full disk leaves no half binary under target's name.
func unpack(r io.Reader, target, sum string) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	dec, err := zstd.NewReader(r, zstd.WithDecoderLowmem(true), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return err
	}
	defer dec.Close()
	tmp, err := os.CreateTemp(filepath.Dir(target), ".shoal-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), dec); err != nil {
		tmp.Close()
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		tmp.Close()
		return fmt.Errorf("unpacked sha256 %s, want %s (corrupt download?)", got, sum)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}
