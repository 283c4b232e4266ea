package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/shoal-dev/shoal/internal/datastore"
	"github.com/shoal-dev/shoal/internal/token"
)

// keyPrefix holds every sealed copy, one per credential (see Key).
const keyPrefix = "/shoal/bootstrap/"

// RotateToken makes next the server token kept in tokenFile (under
// dataDir) and moves the bootstrap data sealed in the datastore ds to it,
// so that the old token opens nothing there any more. It is what
// `shoal token rotate` does; the server must be running (its datastore
// answers). On any error the old token and its sealed copy stay as they
// were.
func RotateToken(ctx context.Context, ds datastore.Client, dataDir, tokenFile string, next token.Token) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cli, err := datastore.NewEtcdClient(ctx, ds)
	if err != nil {
		return fmt.Errorf("token rotate: %w", err)
	}
	defer cli.Close()
	rel, err := filepath.Rel(dataDir, tokenFile)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("token rotate: %s is not inside the data dir %s", tokenFile, dataDir)
	}
	r := rotation{tokenFile: tokenFile, tokenRel: filepath.ToSlash(rel), next: next}
	return r.run(ctx, cli, func() error { return token.WriteFile(tokenFile, next) })
}

// rotation is one RotateToken.
type rotation struct {
	tokenFile string // absolute
	tokenRel  string // the token file's name in the sealed file map
	next      token.Token
}

// run re-seals and commits:
//
//  1. the stored data, its token file replaced by the new token, sealed
//     with the new token under its Key;
//  2. every other sealed copy deleted (the old token's, and any an earlier
//     rotation left behind);
//  3. commit: the token file replaced (temporary file, fsync, rename).
//
// kine takes one key per transaction, so 1 and 2 are several, each a
// compare-and-swap; the token file is the commit point: an error before
// it undoes 1 and 2, leaving the old token and its copy as they were.
func (r rotation) run(ctx context.Context, kv clientv3.KV, commit func() error) error {
	cur, err := token.ReadFile(r.tokenFile)
	if err != nil {
		return fmt.Errorf("token rotate: the current token: %w", err)
	}
	if token.Equal(cur.Credential, r.next.Credential) {
		return errors.New("--new-token: that is the current token")
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	list, err := kv.Get(lctx, keyPrefix, clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("token rotate: read the bootstrap data from the datastore (is the server running?): %w", err)
	}
	var undo undoLog
	err = r.reseal(ctx, kv, list, cur.Credential, &undo)
	if err == nil {
		err = dropOthers(ctx, kv, list, Key(r.next.Credential), &undo)
	}
	if err == nil {
		err = commit()
	}
	if err == nil {
		return nil
	}
	return errors.Join(fmt.Errorf("token rotate: %w; the token is unchanged", err), undo.run(ctx, kv))
}

// reseal writes the new token's copy: the old token's copy, opened, with
// the new token file in it. Without an old copy there is nothing to move
// (the server seals one with the new token when it next starts).
func (r rotation) reseal(ctx context.Context, kv clientv3.KV, list *clientv3.GetResponse, oldCred string, undo *undoLog) error {
	old, newKey := find(list, Key(oldCred)), Key(r.next.Credential)
	if old == nil {
		return nil
	}
	files, err := Open(old.Value, oldCred)
	if err != nil {
		return fmt.Errorf("re-seal the bootstrap data: %w", err)
	}
	files[r.tokenRel] = []byte(r.next.String() + "\n")
	blob, err := Seal(files, r.next.Credential)
	if err != nil {
		return fmt.Errorf("re-seal the bootstrap data: %w", err)
	}
	prev := find(list, newKey) // left by an interrupted rotation to the same token
	rev := int64(0)
	if prev != nil {
		rev = prev.ModRevision
	}
	newRev, err := putIfRev(ctx, kv, newKey, blob, rev)
	if err != nil {
		return err
	}
	if prev != nil {
		undo.add(func(ctx context.Context, kv clientv3.KV) error {
			_, err := putIfRev(ctx, kv, newKey, prev.Value, newRev)
			return err
		})
	} else {
		undo.add(func(ctx context.Context, kv clientv3.KV) error { return deleteIfRev(ctx, kv, newKey, newRev) })
	}
	return nil
}

// dropOthers deletes every sealed copy but keep's.
func dropOthers(ctx context.Context, kv clientv3.KV, list *clientv3.GetResponse, keep string, undo *undoLog) error {
	for _, e := range list.Kvs {
		if string(e.Key) == keep {
			continue
		}
		if err := deleteIfRev(ctx, kv, string(e.Key), e.ModRevision); err != nil {
			return err
		}
		key, value := string(e.Key), e.Value
		undo.add(func(ctx context.Context, kv clientv3.KV) error {
			_, err := putIfRev(ctx, kv, key, value, 0)
			return err
		})
	}
	return nil
}

// find is key's entry in list, or nil.
func find(list *clientv3.GetResponse, key string) *mvccpb.KeyValue {
	for _, e := range list.Kvs {
		if string(e.Key) == key {
			return e
		}
	}
	return nil
}

// undoLog is what to do, last first, to take back the steps done so far.
type undoLog []func(context.Context, clientv3.KV) error

func (u *undoLog) add(f func(context.Context, clientv3.KV) error) { *u = append(*u, f) }

// run undoes the steps, even when ctx has ended (a canceled rotation
// still restores the old copy).
func (u undoLog) run(ctx context.Context, kv clientv3.KV) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var errs []error
	for i := len(u) - 1; i >= 0; i-- {
		if err := u[i](ctx, kv); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("undoing it failed, the datastore may hold the bootstrap data sealed with the new token only: %w", errors.Join(errs...))
	}
	return nil
}

// putIfRev writes key if its mod revision is still rev (0: absent), in
// the transaction shape kine implements, and returns the new revision.
func putIfRev(ctx context.Context, kv clientv3.KV, key string, value []byte, rev int64) (int64, error) {
	resp, err := kv.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
		Then(clientv3.OpPut(key, string(value))).Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", key, err)
	}
	if !resp.Succeeded {
		return 0, fmt.Errorf("write %s: changed by another server meanwhile", key)
	}
	return resp.Header.Revision, nil
}

// deleteIfRev deletes key if its mod revision is still rev.
func deleteIfRev(ctx context.Context, kv clientv3.KV, key string, rev int64) error {
	resp, err := kv.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", rev)).
		Then(clientv3.OpDelete(key)).Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("delete %s: changed by another server meanwhile", key)
	}
	return nil
}
