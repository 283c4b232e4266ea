package nodeclaim

import (
	"context"
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// Local claims the name of a node that shares the server's data dir (the
// server's own node, or `shoal agent` without --server) with the admin
// identity, as the supervisor does for a joining agent. Until it does, a
// token holder could join under that name and be given its certificates.
type Local struct {
	lifecycle.Task
	Client   kubernetes.Interface // admin
	Node, IP string
	Password string
	done     chan struct{}
}

var _ lifecycle.Component = (*Local)(nil)

// NewLocal claims node at ip with password, as admin.
func NewLocal(admin *rest.Config, node, ip, password string) (*Local, error) {
	client, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return nil, err
	}
	return &Local{Client: client, Node: node, IP: ip, Password: password}, nil
}

// Name implements lifecycle.Component.
func (l *Local) Name() string { return "node name claim" }

// Start claims, retrying while the apiserver comes up; a claim held by
// another password is final.
func (l *Local) Start(ctx context.Context) error {
	l.done = make(chan struct{})
	return l.Go(ctx, func(ctx context.Context) error {
		var final error
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
			err := Claim(ctx, l.Client, l.Node, l.IP, l.Password)
			if err != nil && isRefusal(err) {
				final = err
				return false, err
			}
			return err == nil, nil
		})
		if final != nil {
			return final
		}
		if err != nil {
			return err
		}
		close(l.done)
		<-ctx.Done()
		return nil
	})
}

// isRefusal tells a claim refused by its rules from an apiserver that
// is not answering yet.
func isRefusal(err error) bool {
	var r *RefusedError
	return errors.As(err, &r)
}

// Ready waits for the claim.
func (l *Local) Ready(ctx context.Context) error { return l.WaitFor(ctx, l.done) }

// Stop implements lifecycle.Component.
func (l *Local) Stop(ctx context.Context) error { return l.Halt(ctx) }
