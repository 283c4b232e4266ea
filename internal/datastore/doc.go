// Package datastore runs the server's datastore as a lifecycle component
// and tells kube-apiserver how to reach it (Client: etcd endpoints and TLS
// files):
//
//   - SQLite (default): kine in-process over <data-dir>/server/db/state.db
//     (WAL mode), served on a unix socket only root can open;
//   - kine over an external PostgreSQL or MySQL (--datastore-endpoint);
//   - Etcd: an embedded etcd member (go.etcd.io/etcd/server/v3/embed) that
//     starts a cluster (--cluster-init) or joins one (--server);
//   - Remote: an external etcd cluster, only checked for an answer.
//
// Kine's history is compacted by shoal's compactor (compactor.go) rather
// than by kine's timer, and the SQLite file returns freed pages
// (sqlitefile.go); embedded etcd is bounded by its own settings and a
// defragmenter (defrag.go). ADR 0014. Status reads either for `shoal
// datastore status`.
//
// Only kine's sqlite, pgsql and mysql drivers and its server package are
// imported, never its endpoint package (which links every driver: NATS, …).
package datastore
