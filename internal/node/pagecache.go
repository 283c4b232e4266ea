package node

import (
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// The page cache an air-gap import leaves behind: on a small box it is
// charged to the box (cgroup v1 charges a page to whoever first reads or
// writes it) and, read twice, sits on the active list. Measured with
// bench/box.sh 512M 1 from a cold cache: ≈ 220 MB of active file pages
// right after the first boot's import — the tarballs shoal read and the
// content-store blobs containerd wrote — against 512 MB (with this VM's
// 8 MiB disk readahead, which made every read larger; see ADR 0012). Neither is read again (the unpacked
// snapshots are what containers run), so they are dropped once on disk.

// dropPageCache writes path's dirty pages, then asks the kernel to forget
// its cached pages. A hint: an error changes nothing but memory.
func dropPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// Dirty pages cannot be dropped: write them first.
	if err := f.Sync(); err != nil {
		return err
	}
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

// dropTreePageCache drops the cached pages of every regular file under
// dir; it returns the first error and goes on past it.
func dropTreePageCache(dir string) error {
	var first error
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if err := dropPageCache(path); err != nil && first == nil {
			first = err
		}
		return nil
	})
	if first == nil {
		first = err
	}
	return first
}
