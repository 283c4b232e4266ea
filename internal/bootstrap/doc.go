// Package bootstrap keeps a sealed copy of the cluster's identity — CAs
// and their keys, the service-account key, the encryption config and the
// server token — inside the datastore, encrypted with a key derived from
// the server token. Snapshots therefore carry it: restoring one onto a
// fresh machine, given the token, brings back the same CAs, so existing
// kubeconfigs and agents keep trusting the restored server. RotateToken
// (`shoal token rotate`) moves the sealed copy to a new token and deletes
// every copy sealed with another, so an old token opens nothing in the
// datastore (snapshots taken before keep what they held).
package bootstrap
