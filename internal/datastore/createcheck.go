package datastore

import (
	"context"
	"fmt"

	kineserver "github.com/k3s-io/kine/pkg/server"
)

// createChecked confirms every Create kine reports as done by reading the
// key back. kine v0.17.5's logstructured.Create returns success when its
// insert fails and the key does not exist (an inner err shadows the
// outer one): under SQLite write pressure the apiserver then answered 201
// for objects never stored (bench/scale.sh: 1,038 pods answered, 825
// stored) and controllers waited for them forever. One indexed read per
// create turns that into an error the client retries.
type createChecked struct{ kineserver.Backend }

func (c createChecked) Create(ctx context.Context, key string, value []byte, lease int64) (int64, error) {
	rev, err := c.Backend.Create(ctx, key, value, lease)
	if err != nil {
		return rev, err
	}
	_, kv, err := c.Backend.Get(ctx, key, 0, true)
	if err != nil {
		return 0, fmt.Errorf("create %s: reading it back: %w", key, err)
	}
	if kv == nil {
		return 0, fmt.Errorf("create %s: the datastore reported revision %d but stored nothing", key, rev)
	}
	return rev, nil
}
