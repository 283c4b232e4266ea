package killall

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one process, as /proc says.
type proc struct {
	pid, ppid int
	exe       string
	cmdline   []string
}

// processes reads every process under procDir.
func processes(procDir string) []proc {
	entries, _ := os.ReadDir(procDir)
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		p := proc{pid: pid}
		dir := filepath.Join(procDir, e.Name())
		p.exe, _ = os.Readlink(filepath.Join(dir, "exe"))
		if raw, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil {
			p.cmdline = strings.Split(strings.TrimRight(string(raw), "\x00"), "\x00")
		}
		stat, err := os.ReadFile(filepath.Join(dir, "stat"))
		if err != nil {
			continue // gone
		}
		// "pid (comm) state ppid …": comm may hold spaces and parentheses.
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 1 {
			p.ppid, _ = strconv.Atoi(f[1])
		}
		out = append(out, p)
	}
	return out
}

// lockHolders are the PIDs holding a flock on one of files (shoal's
// data-dir locks), from /proc/locks.
func lockHolders(procDir string, files []string) map[int]bool {
	inodes := map[uint64]bool{}
	for _, f := range files {
		var st syscall.Stat_t
		if syscall.Stat(f, &st) == nil {
			inodes[st.Ino] = true
		}
	}
	holders := map[int]bool{}
	f, err := os.Open(filepath.Join(procDir, "locks"))
	if err != nil {
		return holders
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" {
			continue
		}
		dev := strings.Split(fields[5], ":")
		ino, err := strconv.ParseUint(dev[len(dev)-1], 10, 64)
		pid, perr := strconv.Atoi(fields[4])
		if err == nil && perr == nil && inodes[ino] {
			holders[pid] = true
		}
	}
	return holders
}

// under tells whether path is dir or inside it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// shoalsOf are the processes of the data dir: the shoal holding its
// locks, and whatever runs from a binary shoal unpacked under it
// (containerd, the shims, runc, a release's shoal). A process that only
// names the data dir (an editor, a shell in it) is not shoal's.
func shoalsOf(all []proc, dataDir string, holders map[int]bool, self int) (mains, others []proc) {
	for _, p := range all {
		switch {
		case p.pid == self:
		case holders[p.pid]:
			mains = append(mains, p)
		case under(strings.TrimSuffix(p.exe, " (deleted)"), dataDir):
			others = append(others, p)
		}
	}
	return mains, others
}

// descendants of roots, roots included, children after their parents.
func descendants(all []proc, roots []proc, self int) []int {
	children := map[int][]int{}
	for _, p := range all {
		children[p.ppid] = append(children[p.ppid], p.pid)
	}
	seen := map[int]bool{self: true}
	var out []int
	var walk func(int)
	walk = func(pid int) {
		if seen[pid] {
			return
		}
		seen[pid] = true
		out = append(out, pid)
		for _, c := range children[pid] {
			walk(c)
		}
	}
	for _, r := range roots {
		walk(r.pid)
	}
	return out
}

// stopGently sends SIGTERM to pids and waits up to wait for them to end,
// then kills what is left.
func stopGently(pids []int, wait time.Duration) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) && anyAlive(pids) {
		time.Sleep(100 * time.Millisecond)
	}
	kill(pids)
}

// kill sends SIGKILL to pids and waits (5 s at most) until they are gone.
func kill(pids []int) {
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) && anyAlive(pids) {
		time.Sleep(50 * time.Millisecond)
	}
}

func anyAlive(pids []int) bool {
	for _, pid := range pids {
		if syscall.Kill(pid, 0) == nil && !zombie(pid) {
			return true
		}
	}
	return false
}

// zombie: a killed process whose parent has not reaped it yet is gone
// for our purpose.
func zombie(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}
