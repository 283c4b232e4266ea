package checkconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeDisk lays out a sysfs in which the device of path is disk's
// partition (or the disk itself) with readahead kb.
func fakeDisk(t *testing.T, path, disk string, partition bool, kb string) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	sysfs := t.TempDir()
	diskDir := filepath.Join(sysfs, "devices", disk)
	devDir := diskDir
	if partition {
		devDir = filepath.Join(diskDir, disk+"1")
		must(t, os.MkdirAll(devDir, 0o755))
		must(t, os.WriteFile(filepath.Join(devDir, "partition"), []byte("1\n"), 0o644))
	}
	must(t, os.MkdirAll(filepath.Join(diskDir, "queue"), 0o755))
	must(t, os.WriteFile(filepath.Join(diskDir, "queue", "read_ahead_kb"), []byte(kb), 0o644))
	must(t, os.MkdirAll(filepath.Join(sysfs, "dev", "block"), 0o755))
	must(t, os.Symlink(devDir, filepath.Join(sysfs, "dev", "block", fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev)))))
	return sysfs
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadaheadOfAPartitionIsItsDisks(t *testing.T) {
	f := filepath.Join(t.TempDir(), "shoal")
	must(t, os.WriteFile(f, nil, 0o755))
	sysfs := fakeDisk(t, f, "vda", true, "8192\n")
	r := readahead(sysfs, f)
	if r.OK || r.Level != Advised || !strings.Contains(r.Detail, "8192 KiB on vda") || !strings.Contains(r.Detail, "/sys/block/vda/queue/read_ahead_kb") {
		t.Fatalf("8 MiB readahead: %+v", r)
	}
	sysfs = fakeDisk(t, f, "mmcblk0", false, "128\n")
	if r := readahead(sysfs, f); !r.OK || r.Detail != "128 KiB on mmcblk0" {
		t.Fatalf("128 KiB readahead: %+v", r)
	}
}

func TestReadaheadNamesWhatItCouldNotRead(t *testing.T) {
	f := filepath.Join(t.TempDir(), "shoal")
	must(t, os.WriteFile(f, nil, 0o755))
	if _, _, err := Readahead(t.TempDir(), f); err == nil || !strings.Contains(err.Error(), "no block device") {
		t.Fatalf("want no block device, got %v", err)
	}
	sysfs := fakeDisk(t, f, "vda", false, "lots\n")
	if _, _, err := Readahead(sysfs, f); err == nil || !strings.Contains(err.Error(), "read_ahead_kb") {
		t.Fatalf("want the file named, got %v", err)
	}
}
