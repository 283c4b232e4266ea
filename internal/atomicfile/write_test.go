package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteCreatesWithModeAndReplaces(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a", "b", "key.pem")
	if err := Write(p, []byte("one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "two" {
		t.Fatalf("content %q %v", b, err)
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
}

type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("disk gone")
	}
	r.n--
	return copy(p, "partial"), nil
}

// A reader that fails half-way (a truncated archive, a full disk) leaves
// the old file as it was and no temporary file behind.
func TestWriteFromKeepsOldFileWhenTheReaderFails(t *testing.T) {
	p := filepath.Join(t.TempDir(), "runc")
	if err := Write(p, []byte("old"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := WriteFrom(p, &failingReader{n: 2}, 0o755)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "disk gone") {
		t.Fatalf("error %v, want one naming %s and the cause", err, p)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("content %q, want the old one", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
}
