package bootstrap

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/shoal-dev/shoal/internal/datastore"
	"github.com/shoal-dev/shoal/internal/token"
)

// rotationFixture is a running kine (the real one, over SQLite) holding
// the bootstrap data sealed with the current token, a copy an earlier
// rotation left behind, and the token file.
type rotationFixture struct {
	ds                 datastore.Client
	kv                 *clientv3.Client
	dataDir, tokenFile string
	old, older, next   token.Token
	caKey              []byte
	ctx                context.Context
}

func newRotationFixture(t *testing.T) *rotationFixture {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	kine := datastore.NewKine(filepath.Join(dir, "state.db"), filepath.Join(dir, "kine.sock"))
	if err := kine.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kine.Stop(context.Background()) })
	if err := kine.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	cli, err := datastore.NewEtcdClient(ctx, kine.Client())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	ca := []byte("ca bundle")
	f := &rotationFixture{ds: kine.Client(), kv: cli, dataDir: filepath.Join(dir, "data"), ctx: ctx, caKey: []byte("the CA's private key"),
		old:   token.Token{CAHash: token.CAHash(ca), Credential: "server:0123456789abcdef0123456789abcdef"},
		older: token.Token{CAHash: token.CAHash(ca), Credential: "server:ffffffffffffffffffffffffffffffff"},
		next:  token.Token{CAHash: token.CAHash(ca), Credential: "server:fedcba9876543210fedcba9876543210"}}
	f.tokenFile = filepath.Join(f.dataDir, "server", "token")
	if err := token.WriteFile(f.tokenFile, f.old); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []token.Token{f.old, f.older} {
		blob, err := Seal(map[string][]byte{"server/token": []byte(tok.String() + "\n"), "server/tls/server-ca.key": f.caKey}, tok.Credential)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cli.Put(ctx, Key(tok.Credential), string(blob)); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// opens reports whether any sealed copy in the datastore opens with
// cred, and what it holds.
func (f *rotationFixture) opens(t *testing.T, cred string) (map[string][]byte, bool) {
	t.Helper()
	list, err := f.kv.Get(f.ctx, keyPrefix, clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range list.Kvs {
		if files, err := Open(e.Value, cred); err == nil {
			return files, true
		}
	}
	return nil, false
}

func (f *rotationFixture) tokenInFile(t *testing.T) string {
	t.Helper()
	got, err := token.ReadFile(f.tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	return got.Credential
}

// After a rotation the old token (and an older one whose copy an earlier
// rotation left) opens nothing in the datastore; the new one opens the
// cluster's keys, and the sealed token file is the new one.
func TestRotateTokenReseals(t *testing.T) {
	f := newRotationFixture(t)
	if _, ok := f.opens(t, f.old.Credential); !ok {
		t.Fatal("fixture: the old token opens nothing before the rotation")
	}
	if err := RotateToken(f.ctx, f.ds, f.dataDir, f.tokenFile, f.next); err != nil {
		t.Fatal(err)
	}
	for name, cred := range map[string]string{"old": f.old.Credential, "older": f.older.Credential} {
		if _, ok := f.opens(t, cred); ok {
			t.Errorf("the %s token still opens the bootstrap data after the rotation", name)
		}
	}
	files, ok := f.opens(t, f.next.Credential)
	if !ok || string(files["server/tls/server-ca.key"]) != string(f.caKey) || string(files["server/token"]) != f.next.String()+"\n" {
		t.Fatalf("the new token opens %v (%v)", files, ok)
	}
	if got := f.tokenInFile(t); got != f.next.Credential {
		t.Errorf("token file holds %q", got)
	}
	if err := RotateToken(f.ctx, f.ds, f.dataDir, f.tokenFile, f.next); err == nil || !strings.Contains(err.Error(), "current token") {
		t.Errorf("a rotation to the current token: %v", err)
	}
}

// When the token file cannot be replaced, the rotation fails and the
// datastore is as it was: the old token opens its copy, the new one
// nothing.
func TestRotateTokenFailureKeepsTheOldState(t *testing.T) {
	f := newRotationFixture(t)
	r := rotation{tokenFile: f.tokenFile, tokenRel: "server/token", next: f.next}
	err := r.run(f.ctx, f.kv, func() error { return errors.New("disk full") })
	if err == nil || !strings.Contains(err.Error(), "disk full") || !strings.Contains(err.Error(), "unchanged") {
		t.Fatalf("err %v", err)
	}
	if got := f.tokenInFile(t); got != f.old.Credential {
		t.Errorf("token file holds %q", got)
	}
	if files, ok := f.opens(t, f.old.Credential); !ok || string(files["server/tls/server-ca.key"]) != string(f.caKey) {
		t.Error("the old token no longer opens its copy after a failed rotation")
	}
	if _, ok := f.opens(t, f.next.Credential); ok {
		t.Error("a failed rotation left a copy sealed with the new token")
	}
}

// Data that does not open with the current token is not re-sealed, and
// nothing changes.
func TestRotateTokenRefusesDataItCannotOpen(t *testing.T) {
	f := newRotationFixture(t)
	if _, err := f.kv.Put(f.ctx, Key(f.old.Credential), `{"salt":"AAAA","nonce":"AAAA","data":"AAAA"}`); err != nil {
		t.Fatal(err)
	}
	err := RotateToken(f.ctx, f.ds, f.dataDir, f.tokenFile, f.next)
	if err == nil || !strings.Contains(err.Error(), "re-seal") {
		t.Fatalf("err %v", err)
	}
	if got := f.tokenInFile(t); got != f.old.Credential {
		t.Errorf("token file holds %q", got)
	}
	if _, ok := f.opens(t, f.older.Credential); !ok {
		t.Error("a failed rotation deleted a copy")
	}
}
