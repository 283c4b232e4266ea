// Package datastore runs kine in-process: an etcd v3 gRPC API over SQLite
// (WAL mode) in <data-dir>/server/db/state.db, served on a unix socket that
// only root can open. The apiserver talks to it as to etcd.
//
// Only kine's sqlite driver and server packages are imported, never its
// endpoint package (which links every driver: NATS, Postgres, …). Other
// backends (external SQL, embedded etcd) come later as other Components
// with the same Endpoint method.
package datastore
