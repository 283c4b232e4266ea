// Package deploy is the auto-deploy controller: every *.yaml / *.yml / *.json
// file in <data-dir>/server/manifests is applied (server-side apply) at start
// and re-applied when it changes; objects that leave a file, or whose file
// is removed, are deleted. What was applied from each file is recorded in a
// state file so that pruning survives restarts.
package deploy
