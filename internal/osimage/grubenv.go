package osimage

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// GRUB's environment block (grub-editenv's format): exactly 1024 bytes, a
// header line, NAME=VALUE lines, '#' padding. GRUB's save_env rewrites
// the file's blocks in place, so its size must never change.
const (
	grubenvSize   = 1024
	grubenvHeader = "# GRUB Environment Block\n"
)

// readGrubenv parses an environment block.
func readGrubenv(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) != grubenvSize || !bytes.HasPrefix(b, []byte(grubenvHeader)) {
		return nil, fmt.Errorf("%s: not a GRUB environment block (%d bytes)", path, len(b))
	}
	env := map[string]string{}
	for _, line := range strings.Split(string(b[len(grubenvHeader):]), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	return env, nil
}

// encodeGrubenv renders env as a block (empty values are dropped).
func encodeGrubenv(env map[string]string) ([]byte, error) {
	keys := make([]string, 0, len(env))
	for k, v := range env {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString(grubenvHeader)
	for _, k := range keys {
		if strings.ContainsAny(k, "=\n") || strings.Contains(env[k], "\n") {
			return nil, fmt.Errorf("grubenv: %q: not representable", k)
		}
		fmt.Fprintf(&b, "%s=%s\n", k, env[k])
	}
	if b.Len() > grubenvSize {
		return nil, fmt.Errorf("grubenv: %d bytes of variables, the block holds %d", b.Len(), grubenvSize)
	}
	b.Write(bytes.Repeat([]byte("#"), grubenvSize-b.Len()))
	return b.Bytes(), nil
}

// writeGrubenv replaces the block atomically (a new file of the same size:
// GRUB finds it through the file system on the next boot).
func writeGrubenv(path string, env map[string]string) error {
	b, err := encodeGrubenv(env)
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o644)
}
