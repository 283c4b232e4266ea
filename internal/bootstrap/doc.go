// Package bootstrap keeps a sealed copy of the cluster's identity — CAs
// and their keys, the service-account key, the encryption config and the
// server token — inside the datastore, encrypted with a key derived from
// the server token. Snapshots therefore carry it: restoring one onto a
// fresh machine, given the token, brings back the same CAs, so existing
// kubeconfigs and agents keep trusting the restored server.
package bootstrap
