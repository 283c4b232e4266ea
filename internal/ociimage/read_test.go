package ociimage

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCopyFile takes one file out of an image with several, and names
// the missing one.
func TestCopyFile(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"shoal": "the binary", "motd": "hello"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	archive := filepath.Join(dir, "img.tar")
	if _, err := Write(Spec{Ref: "localhost/shoal:next", Files: map[string]string{
		"/bin/shoal": filepath.Join(dir, "shoal"), "/etc/motd": filepath.Join(dir, "motd")}}, archive); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := CopyFile(archive, "/bin/shoal", &out); err != nil || out.String() != "the binary" {
		t.Fatalf("CopyFile: %q, %v", out.String(), err)
	}
	if err := CopyFile(archive, "/usr/bin/shoal", &out); err == nil || !strings.Contains(err.Error(), "has no /usr/bin/shoal") {
		t.Fatalf("missing file: %v", err)
	}
	if err := CopyFile(filepath.Join(dir, "motd"), "/bin/shoal", &out); err == nil {
		t.Fatal("a file that is not an image archive was read")
	}
}
