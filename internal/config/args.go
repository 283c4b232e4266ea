package config

import (
	"fmt"
	"strings"
)

// ValidateExtraArgs checks that every --kube-*-arg value is key=value with a
// flag name as key (leading dashes are tolerated and removed later).
func ValidateExtraArgs(flag string, args []string) error {
	for _, a := range args {
		k, _, ok := strings.Cut(a, "=")
		k = strings.TrimLeft(k, "-")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return fmt.Errorf("--%s %q: must be key=value, e.g. --%s=v=2", flag, a, flag)
		}
	}
	return nil
}
