package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/shoal-dev/shoal/internal/datastore"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// Store seals the bootstrap files into the datastore once it serves, and
// again whenever they changed (a rotated token, a new encryption key).
type Store struct {
	lifecycle.Task
	Datastore  datastore.Client
	Credential string            // the server token's credential
	Files      map[string]string // path relative to the data dir → absolute path

	ready chan struct{}
}

var _ lifecycle.Component = (*Store)(nil)

// Name implements lifecycle.Component.
func (s *Store) Name() string { return "bootstrap data" }

// Start writes the data, then idles until stopped.
func (s *Store) Start(ctx context.Context) error {
	s.ready = make(chan struct{})
	return s.Go(ctx, func(ctx context.Context) error {
		if err := s.write(ctx); err != nil {
			return fmt.Errorf("store bootstrap data in the datastore: %w", err)
		}
		close(s.ready)
		<-ctx.Done()
		return nil
	})
}

// read loads the files that exist.
func (s *Store) read() (map[string][]byte, error) {
	out := map[string][]byte{}
	for rel, abs := range s.Files {
		b, err := os.ReadFile(abs)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[rel] = b
	}
	return out, nil
}

func (s *Store) write(ctx context.Context) error {
	files, err := s.read()
	if err != nil {
		return err
	}
	cli, err := datastore.NewEtcdClient(ctx, s.Datastore)
	if err != nil {
		return err
	}
	defer cli.Close()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	key := Key(s.Credential)
	cur, err := cli.Get(wctx, key)
	if err != nil {
		return err
	}
	rev := int64(0)
	if len(cur.Kvs) == 1 {
		rev = cur.Kvs[0].ModRevision
		if old, err := Open(cur.Kvs[0].Value, s.Credential); err == nil && maps.EqualFunc(old, files, bytesEqual) {
			return nil
		}
	}
	blob, err := Seal(files, s.Credential)
	if err != nil {
		return err
	}
	// The compare-and-put kine implements (as kube-apiserver's updates).
	resp, err := cli.Txn(wctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
		Then(clientv3.OpPut(key, string(blob))).Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		return errors.New("changed by another server meanwhile; retried at next start")
	}
	return nil
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// Ready waits until the data is written.
func (s *Store) Ready(ctx context.Context) error { return s.WaitFor(ctx, s.ready) }

// Stop implements lifecycle.Component.
func (s *Store) Stop(ctx context.Context) error { return s.Halt(ctx) }
