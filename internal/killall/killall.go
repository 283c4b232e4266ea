package killall

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Run gives the machine back from the shoal of dataDir: shoal itself gets
// SIGTERM and 10 s, then everything of the data dir (containerd, shims,
// the pods' processes) is killed, its mounts detached, the node's links
// and packet-filter chains deleted. It reports each step on out and
// returns what it could not do.
func Run(dataDir string, out io.Writer) error {
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if dataDir == "/" {
		return errors.New("--data-dir /: refusing to clean up the whole machine")
	}
	report := func(format string, args ...any) { fmt.Fprintf(out, "shoal: "+format+"\n", args...) }
	self := os.Getpid()
	locks := []string{filepath.Join(dataDir, "server", ".lock"), filepath.Join(dataDir, "agent", ".lock")}
	all := processes("/proc")
	if mains, _ := shoalsOf(all, dataDir, lockHolders("/proc", locks), self); len(mains) > 0 {
		pids := descendants(nil, mains, self) // the shoal processes alone
		report("stopping shoal (pid %s)", pidList(pids))
		stopGently(pids, 10*time.Second)
	}
	// Read again: shoal may have started shims or been restarted.
	all = processes("/proc")
	mains, others := shoalsOf(all, dataDir, lockHolders("/proc", locks), self)
	if pids := descendants(all, append(mains, others...), self); len(pids) > 0 {
		report("killing %d processes of %s (containerd, shims, pods)", len(pids), dataDir)
		kill(pids)
	}
	var errs []error
	n, left, err := unmountUnder(dataDir)
	if err != nil {
		errs = append(errs, err)
	}
	report("unmounted %d mounts under %s", n, dataDir)
	if len(left) > 0 {
		errs = append(errs, fmt.Errorf("still mounted: %s", strings.Join(left, ", ")))
	}
	links, err := deleteLinks()
	if err != nil {
		errs = append(errs, fmt.Errorf("links: %w", err))
	}
	if len(links) > 0 {
		report("deleted links %s", strings.Join(links, ", "))
	}
	families, err := flushRules()
	if err != nil {
		errs = append(errs, fmt.Errorf("packet filter: %w", err))
	}
	if len(families) > 0 {
		report("deleted the KUBE-, CNI- and FLANNEL chains and their rules (%s)", strings.Join(families, ", "))
	}
	return errors.Join(errs...)
}

func pidList(pids []int) string {
	s := make([]string, len(pids))
	for i, p := range pids {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ", ")
}
