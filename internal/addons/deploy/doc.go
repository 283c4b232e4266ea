// Package deploy is the auto-deploy controller: every *.yaml / *.yml / *.json
// file in <data-dir>/server/manifests is applied (server-side apply) at start
// and re-applied when it changes; objects that leave a file, or whose file
// is removed, are deleted. A file that decodes to no object (empty: caught
// between an editor's truncate and write) or fails to decode or apply
// changes nothing: its objects stay until it holds objects again or is
// removed. What was applied from each file is recorded in a state file so
// that pruning survives restarts.
package deploy
