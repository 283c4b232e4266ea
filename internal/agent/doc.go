// Package agent runs `shoal agent`: the node stack on its own, against the
// shoal server whose data dir it shares (remote joining comes with the
// join protocol).
package agent
