package upstreamargs

import (
	"sort"
	"strconv"
	"strings"
)

// Args is an upstream component's flags as a map from flag name (no
// dashes) to value. shoal fills it; the user's --kube-*-arg values are
// merged last by Merge.
type Args map[string]string

// Merge applies user key=value pairs. A user key replaces shoal's value;
// a key the user gives several times keeps every value, in order, for the
// upstream flags that accumulate (admission plugins, feature gates…).
func (a Args) Merge(user []string) []string {
	extra := map[string][]string{}
	var order []string
	for _, kv := range user {
		k, v, _ := strings.Cut(kv, "=")
		k = strings.TrimLeft(k, "-")
		if _, seen := extra[k]; !seen {
			order = append(order, k)
		}
		extra[k] = append(extra[k], v)
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		if _, overridden := extra[k]; !overridden {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	argv := make([]string, 0, len(keys)+len(user))
	for _, k := range keys {
		argv = append(argv, "--"+k+"="+a[k])
	}
	for _, k := range order {
		for _, v := range extra[k] {
			argv = append(argv, "--"+k+"="+v)
		}
	}
	return argv
}

// Verbose sets klog's --v to v when above 0: every in-process component
// gets the same (the logging setup of one process is shared, and an
// upstream component refuses to change it once applied).
func (a Args) Verbose(v int) Args {
	if v > 0 {
		a["v"] = strconv.Itoa(v)
	}
	return a
}
