package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ProfileCIS is what the CIS Kubernetes Benchmark asks beyond shoal's
// defaults: secrets encrypted at rest, the kubelet's
// protect-kernel-defaults, longer audit retention (--profile cis).
const ProfileCIS = "cis"

// kernelDefaults are the sysctls kubelet sets at start, or with
// protect-kernel-defaults requires to be set already (upstream's
// setupKernelTunables).
func kernelDefaults() map[string]int {
	return map[string]int{
		"vm/overcommit_memory":      1,
		"vm/panic_on_oom":           0,
		"kernel/panic":              10,
		"kernel/panic_on_oops":      1,
		"kernel/keys/root_maxkeys":  1000000,
		"kernel/keys/root_maxbytes": 25000000,
	}
}

// checkKernelDefaults returns one error naming every sysctl that differs
// from kubelet's value (read reads a file under /proc/sys).
func checkKernelDefaults(read func(string) ([]byte, error)) error {
	var wrong []string
	defaults := kernelDefaults()
	for _, key := range slices.Sorted(maps.Keys(defaults)) {
		want := defaults[key]
		b, err := read("/proc/sys/" + key)
		got, perr := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || perr != nil || got != want {
			name := strings.ReplaceAll(key, "/", ".")
			wrong = append(wrong, fmt.Sprintf("%s=%d (is %s)", name, want, strings.TrimSpace(string(b))))
		}
	}
	if len(wrong) > 0 {
		return fmt.Errorf("--protect-kernel-defaults: kubelet will not start until these sysctls are set (e.g. in /etc/sysctl.d/90-kubelet.conf): %s",
			strings.Join(wrong, ", "))
	}
	return nil
}
