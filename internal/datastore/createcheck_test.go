package datastore

import (
	"context"
	"strings"
	"testing"

	kineserver "github.com/k3s-io/kine/pkg/server"
)

// lossy is a kine backend whose Create may report success without storing,
// as kine's logstructured does when its insert fails.
type lossy struct {
	kineserver.Backend
	stores bool
	stored map[string]bool
}

func (l *lossy) Create(_ context.Context, key string, _ []byte, _ int64) (int64, error) {
	if l.stores {
		l.stored[key] = true
	}
	return 42, nil
}

func (l *lossy) Get(_ context.Context, key string, _ int64, _ bool) (int64, *kineserver.KeyValue, error) {
	if !l.stored[key] {
		return 42, nil, nil
	}
	return 42, &kineserver.KeyValue{Key: key, ModRevision: 42}, nil
}

func TestCreateCheckedRefusesAnUnstoredCreate(t *testing.T) {
	ctx := context.Background()
	b := &lossy{stored: map[string]bool{}}
	if _, err := (createChecked{b}).Create(ctx, "/registry/pods/ns/p", nil, 0); err == nil || !strings.Contains(err.Error(), "stored nothing") {
		t.Fatalf("a create kine did not store must fail, got %v", err)
	}
	b.stores = true
	if rev, err := (createChecked{b}).Create(ctx, "/registry/pods/ns/p", nil, 0); err != nil || rev != 42 {
		t.Fatalf("a stored create: rev %d, %v", rev, err)
	}
}
