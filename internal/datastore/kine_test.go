package datastore

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// TestSQLiteServesEtcdAndKeepsData runs the real kine over a real SQLite
// file: a value written before a restart is read back after it.
func TestSQLiteServesEtcdAndKeepsData(t *testing.T) {
	dir := t.TempDir()
	db, sock := filepath.Join(dir, "db", "state.db"), filepath.Join(dir, "kine.sock")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	put := func(write bool) string {
		s := NewKine(db, sock)
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer s.Stop(ctx)
		if err := s.Ready(ctx); err != nil {
			t.Fatalf("ready: %v", err)
		}
		if st, err := os.Stat(sock); err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("socket %s: %v %v, want mode 0600", sock, st, err)
		}
		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{s.Endpoint()}, DialTimeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer cli.Close()
		if write {
			if _, err := cli.Put(ctx, "/registry/test/a", "hello"); err != nil {
				t.Fatalf("put: %v", err)
			}
		}
		r, err := cli.Get(ctx, "/registry/test/a")
		if err != nil || len(r.Kvs) != 1 {
			t.Fatalf("get: %v %v", r, err)
		}
		return string(r.Kvs[0].Value)
	}
	if v := put(true); v != "hello" {
		t.Fatalf("got %q", v)
	}
	if v := put(false); v != "hello" {
		t.Fatalf("after restart got %q", v)
	}
}
