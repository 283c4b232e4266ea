package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPackedBinaryUnpacksOnceAndRuns builds the real front, packs a
// script with it, and runs the result: the script is unpacked under the
// data dir given by -d, executed with the same arguments, reused on the
// next run, and a damaged payload is refused.
func TestPackedBinaryUnpacksOnceAndRuns(t *testing.T) {
	dir := t.TempDir()
	front := filepath.Join(dir, "front")
	build := exec.Command("go", "build", "-o", front, "../../cmd/shoal-unpack")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the front: %v\n%s", err, out)
	}
	payload := filepath.Join(dir, "payload")
	if err := os.WriteFile(payload, []byte("#!/bin/sh\necho \"unpacked: $*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	packed := filepath.Join(dir, "shoal")
	if err := pack(front, payload, packed); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	for i := 0; i < 2; i++ {
		out, err := exec.Command(packed, "version", "--data-dir="+data).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "unpacked: version --data-dir="+data {
			t.Fatalf("run %d: %v %q", i, err, out)
		}
	}
	unpacked, _ := filepath.Glob(filepath.Join(data, "bin", "*", "shoal"))
	if len(unpacked) != 1 {
		t.Fatalf("unpacked copies: %v", unpacked)
	}
	// A damaged payload: flip a byte in the middle of the compressed part.
	b, err := os.ReadFile(packed)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(front)
	b[fi.Size()+10] ^= 0xff
	if err := os.WriteFile(packed, b, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(packed, "-d", filepath.Join(dir, "other")).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "shoal: unpack into ") {
		t.Fatalf("damaged payload: %v %q", err, out)
	}
}
