package checkconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// MaxReadaheadKB is the most disk readahead a small device should have. A
// page fault in a program's file mapping reads the readahead around the
// faulting page; a page read is charged to the box. The kernel's default,
// and an SD card's, is 128 KiB. With 8 MiB (a cloud VM's disk) a 512 MB box
// holds 118 MB of shoal's binary instead of 80 and thrashes: 131,000 major
// faults where 128 KiB gives 1,600 (bench/box.sh 512M 1, ADR 0012).
const MaxReadaheadKB = 512

// Readahead is the read_ahead_kb of the whole disk that holds path, read
// under sysfs (/sys), and the disk's name.
func Readahead(sysfs, path string) (disk string, kb int, err error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return "", 0, fmt.Errorf("readahead of %s: %w", path, err)
	}
	dev := filepath.Join(sysfs, "dev", "block", fmt.Sprintf("%d:%d", unix.Major(st.Dev), unix.Minor(st.Dev)))
	dir, err := filepath.EvalSymlinks(dev)
	if err != nil {
		return "", 0, fmt.Errorf("readahead of %s: on no block device (no %s)", path, dev)
	}
	if _, err := os.Stat(filepath.Join(dir, "partition")); err == nil {
		dir = filepath.Dir(dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, "queue", "read_ahead_kb"))
	if err != nil {
		return "", 0, fmt.Errorf("readahead of %s: %w", path, err)
	}
	kb, err = strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return "", 0, fmt.Errorf("readahead of %s: %s: %w", path, filepath.Join(dir, "queue", "read_ahead_kb"), err)
	}
	return filepath.Base(dir), kb, nil
}

// readahead is the probe: advised, for the disk that holds shoal's binary.
func readahead(sysfs, path string) Result {
	r := Result{Name: "disk readahead", Level: Advised}
	disk, kb, err := Readahead(sysfs, path)
	switch {
	case err != nil:
		r.OK, r.Detail = true, err.Error()
	case kb <= MaxReadaheadKB:
		r.OK, r.Detail = true, fmt.Sprintf("%d KiB on %s", kb, disk)
	default:
		r.Detail = fmt.Sprintf("%d KiB on %s: on a device of 1 GiB or less each page fault in a program reads that much and the box thrashes; "+
			"the kernel's default is 128: echo 128 > /sys/block/%s/queue/read_ahead_kb", kb, disk, disk)
	}
	return r
}
