package node

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// resident counts path's pages in the page cache.
func resident(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	m, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (len(m)+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

func TestDropTreePageCacheForgetsImportedFiles(t *testing.T) {
	dir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil || fs.Type == unix.TMPFS_MAGIC {
		t.Skip("the page cache of tmpfs is its data")
	}
	blob := filepath.Join(dir, "blobs", "sha256", "abc")
	if err := os.MkdirAll(filepath.Dir(blob), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if n := resident(t, blob); n == 0 {
		t.Fatal("a file just written has no page cached: cannot test")
	}
	if err := dropTreePageCache(dir); err != nil {
		t.Fatal(err)
	}
	if n := resident(t, blob); n != 0 {
		t.Fatalf("%d pages still cached after the drop", n)
	}
	if b, err := os.ReadFile(blob); err != nil || len(b) != 1<<20 {
		t.Fatalf("the file itself changed: %d bytes, %v", len(b), err)
	}
}
