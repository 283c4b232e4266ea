package upgrade

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shoal-dev/shoal/internal/flock"
)

// Watch is `shoal upgrade-watchdog`, run from the previous binary while
// the new one (process pid) proves itself. It returns when the upgrade is
// confirmed (pending.json gone, or its data dir gone); if pid exits or the
// deadline passes first, it stops pid, puts the previous binary back and
// re-executes it with the original command line (never returning). One
// watchdog watches at a time: a second one (the new shoal starts one in
// case the first never ran) returns at once.
func Watch(dir string, pid int, report func(string, ...any)) error {
	release, err := flock.Acquire(filepath.Join(dir, "watchdog"), "--dir", "another upgrade watchdog")
	if err != nil {
		return nil
	}
	defer release()
	for {
		p, err := readPending(dir)
		if err != nil || p == nil || p.Result != "" {
			return nil
		}
		var reason string
		switch {
		case !alive(pid):
			reason = fmt.Sprintf("shoal %s exited before its node was Ready", p.To)
		case time.Now().After(p.Deadline):
			reason = fmt.Sprintf("the node was not Ready on shoal %s by the deadline", p.To)
			stop(pid)
		}
		if reason != "" {
			return rollback(dir, p, reason, report)
		}
		time.Sleep(time.Second) // polling a file and a pid: nothing to wait on
	}
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) STATE …; comm may hold spaces, the state follows the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

// stop asks pid to stop (shoal stops its components in order), then
// kills it.
func stop(pid int) {
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 60 && alive(pid); i++ {
		time.Sleep(500 * time.Millisecond)
	}
	if alive(pid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

func rollback(dir string, p *pending, reason string, report func(string, ...any)) error {
	report("upgrade to %s failed (%s): restoring shoal %s", p.To, reason, p.From)
	if err := install(previousPath(dir), p.Exe); err != nil {
		return fmt.Errorf("restore %s: %w", p.Exe, err)
	}
	p.Result, p.Reason = StateRolledBack, reason
	if err := writePending(dir, p); err != nil {
		return err
	}
	// A supervisor (systemd Restart=, with KillMode=process as shoal's unit
	// has) restarts shoal from the restored binary by itself: re-execute
	// only if nobody took the node's data dir meanwhile.
	if takenOver(filepath.Dir(dir), takeoverWait) {
		report("shoal %s was restarted by its supervisor; watchdog done", p.From)
		return nil
	}
	return syscall.Exec(p.Exe, p.Args, os.Environ())
}

// takeoverWait covers a supervisor's restart delay (K3s's unit: 5 s).
const takeoverWait = 10 * time.Second

// takenOver reports whether another process holds the lock of dir (the
// node's data dir) within wait.
func takenOver(dir string, wait time.Duration) bool {
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(time.Second) {
		release, err := flock.Acquire(dir, "--data-dir", "shoal")
		if err != nil {
			return true
		}
		release()
	}
	return false
}

// startWatchdog runs the previous binary's watchdog over pid, in a
// session of its own (a signal to shoal's group spares it).
func startWatchdog(dir string, pid int) error {
	w := exec.Command(previousPath(dir), "upgrade-watchdog", "--dir", dir, "--pid", strconv.Itoa(pid))
	w.Stdout, w.Stderr = os.Stdout, os.Stderr
	w.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := w.Start(); err != nil {
		return err
	}
	go func() { _ = w.Wait() }() // reaped when it returns
	return nil
}

// Reexec replaces this process with the binary at its own path (swapped
// by an upgrade), with the same arguments and environment.
func Reexec() error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return syscall.Exec(exe, os.Args, os.Environ())
}
