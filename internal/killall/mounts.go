package killall

import (
	"bufio"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// mountsUnder lists the mount points under dir from a mountinfo file,
// deepest first (the order they must go in).
func mountsUnder(mountinfo, dir string) ([]string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		if p := unescape(fields[4]); under(p, dir) {
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return strings.Count(out[i], "/") > strings.Count(out[j], "/") })
	return out, sc.Err()
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			n := 0
			for _, c := range s[i+1 : i+4] {
				n = n*8 + int(c-'0')
			}
			b.WriteByte(byte(n))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountUnder detaches every mount under dir (stacked mounts included:
// it repeats until none is left, at most 10 rounds) and returns how many
// it detached and what it could not.
func unmountUnder(dir string) (int, []string, error) {
	n := 0
	for range 10 {
		points, err := mountsUnder("/proc/self/mountinfo", dir)
		if err != nil || len(points) == 0 {
			return n, nil, err
		}
		var failed []string
		for _, p := range points {
			if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
				failed = append(failed, p+": "+err.Error())
				continue
			}
			n++
		}
		if len(failed) == len(points) {
			return n, failed, nil
		}
	}
	points, err := mountsUnder("/proc/self/mountinfo", dir)
	return n, points, err
}
