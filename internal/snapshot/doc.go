// Package snapshot saves, lists, prunes and restores snapshots of the
// SQLite datastore (`shoal etcd-snapshot`, `--cluster-reset-restore-path`):
// a save is `VACUUM INTO` — a consistent copy taken online while kine
// writes — and a restore puts a copy back with kine's revision counter
// moved past every revision the replaced database had handed out, so
// clients never see revisions go backwards. Embedded etcd snapshots will
// live here too.
package snapshot
