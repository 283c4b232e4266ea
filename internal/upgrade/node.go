package upgrade

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/shoal-dev/shoal/internal/customresource"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/ociimage"
	"github.com/shoal-dev/shoal/internal/version"
)

// Upgrader is the node's side: it reports the version it runs, verifies
// an upgrade it re-executed into, and performs the one its node is
// targeted at.
type Upgrader struct {
	lifecycle.Task
	Client   kubernetes.Interface // the node's own identity
	Dynamic  dynamic.Interface    // the same identity: reads its orders in Plans
	NodeName string
	Dir      string // <data-dir>/agent/upgrade
	Fetch    Fetch
	Deadline time.Duration // default for Verifying; the Plan's comes in pending
	Report   func(string, ...any)
	// Poll is how often the node reads its own Node object.
	Poll time.Duration
}

var _ lifecycle.Component = (*Upgrader)(nil)

// Name implements lifecycle.Component.
func (u *Upgrader) Name() string { return "upgrader" }

// Start reports the version and watches for a target.
func (u *Upgrader) Start(ctx context.Context) error {
	if u.Poll == 0 {
		u.Poll = 3 * time.Second
	}
	if err := os.MkdirAll(u.Dir, 0o700); err != nil {
		return err
	}
	return u.Go(ctx, u.run)
}

func (u *Upgrader) run(ctx context.Context) error {
	p, err := readPending(u.Dir)
	if err != nil {
		return err
	}
	// What this start has to say, said once the Node exists.
	initial := map[string]string{AnnVersion: version.Version}
	switch {
	case p != nil && p.Result == StateRolledBack:
		u.Report("upgrade to %s rolled back: %s", p.To, p.Reason)
		initial[AnnState], initial[AnnReason] = StateRolledBack, p.Reason
		_ = os.Remove(pendingPath(u.Dir))
	case p != nil && p.To == version.Version:
		initial[AnnState] = StateVerifying
		// The watchdog that the previous shoal started may never have run
		// (it died between the swap and the start): one more is harmless.
		if err := startWatchdog(u.Dir, os.Getpid()); err != nil {
			u.Report("upgrade to %s: start the watchdog: %v", p.To, err)
		}
	case p != nil:
		// Stopped before the switch: this binary is still the previous one.
		reason := fmt.Sprintf("interrupted before the switch to %s", p.To)
		u.Report("upgrade %s", reason)
		initial[AnnState], initial[AnnReason] = StateRolledBack, reason
		_ = os.Remove(pendingPath(u.Dir))
	}
	for {
		if n, err := u.Client.CoreV1().Nodes().Get(ctx, u.NodeName, metav1.GetOptions{}); err == nil {
			if initial != nil {
				if u.annotate(ctx, initial) == nil {
					if initial[AnnState] == StateVerifying {
						go u.verify(ctx, p) // after Verifying is said: Complete must come last
					}
					initial = nil
				}
			} else if order := u.targeted(ctx, n); order != nil && u.switchTo(ctx, order) {
				return ErrRestart
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(u.Poll):
		}
	}
}

// targeted returns the order to carry out, if any: one for another
// version than this, which the node has not rolled back from nor is
// verifying.
func (u *Upgrader) targeted(ctx context.Context, n *corev1.Node) *Order {
	state := n.Annotations[AnnState]
	if state == StateRolledBack || state == StateVerifying {
		return nil
	}
	order, plan, err := customresource.NodeOrder[Order](ctx, u.Dynamic.Resource(PlanResource), u.NodeName)
	if err != nil || order == nil || order.Version == "" || order.Version == version.Version || order.Finished {
		return nil
	}
	u.Report("upgrade plan %s: this node is to run shoal %s", plan, order.Version)
	return order
}

// switchTo performs the upgrade and reports whether shoal must restart; a
// failure before the switch is reported as a roll-back (nothing changed,
// and the RolledBack state keeps the node from retrying that target).
func (u *Upgrader) switchTo(ctx context.Context, o *Order) bool {
	deadline := u.Deadline
	if o.DeadlineSeconds > 0 {
		deadline = time.Duration(o.DeadlineSeconds) * time.Second
	}
	if err := u.upgrade(ctx, o.Version, source{file: o.File, sha256: o.SHA256, path: o.Path}, deadline); err != nil {
		u.Report("upgrade to %s failed before the switch: %v", o.Version, err)
		_ = u.annotate(ctx, map[string]string{AnnState: StateRolledBack, AnnReason: err.Error()})
		return false
	}
	return true
}

// verify waits for the node to be Ready (the new shoal's kubelet posts it)
// and marks the upgrade Complete; the watchdog rolls back otherwise.
func (u *Upgrader) verify(ctx context.Context, p *pending) {
	for time.Now().Before(p.Deadline) {
		n, err := u.Client.CoreV1().Nodes().Get(ctx, u.NodeName, metav1.GetOptions{})
		if err == nil && ready(n) {
			// The watchdog stops once pending.json is gone.
			if err := os.Remove(pendingPath(u.Dir)); err == nil {
				u.Report("upgrade from %s to %s complete: node Ready", p.From, p.To)
				_ = u.annotate(ctx, map[string]string{AnnState: StateComplete, AnnReason: ""})
			}
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func ready(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// upgrade fetches and checks the binary, keeps the running one, swaps the
// new one in, starts the watchdog and writes what it needs.
func (u *Upgrader) upgrade(ctx context.Context, target string, src source, deadline time.Duration) error {
	u.Report("upgrading shoal %s → %s (%s%s)", version.Version, target, src.file, src.path)
	if err := u.annotate(ctx, map[string]string{AnnState: StateUpgrading, AnnReason: ""}); err != nil {
		return err
	}
	// A fixed name: nothing in an order becomes part of a path.
	next := filepath.Join(u.Dir, "shoal.next")
	if err := u.fetchBinary(ctx, src, next); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return err
	}
	if err := install(exe, previousPath(u.Dir)); err != nil {
		return fmt.Errorf("keep the running binary: %w", err)
	}
	p := &pending{From: version.Version, To: target, Exe: exe, Args: os.Args, Deadline: time.Now().Add(deadline)}
	if err := writePending(u.Dir, p); err != nil {
		return err
	}
	if err := install(next, exe); err != nil {
		_ = os.Remove(pendingPath(u.Dir))
		return fmt.Errorf("swap %s: %w", exe, err)
	}
	_ = os.Remove(next)
	// The watchdog is the previous binary: it must not depend on the new
	// one working. Should this process die before it starts, the new
	// shoal starts one when it finds pending.json (run).
	if err := startWatchdog(u.Dir, os.Getpid()); err != nil {
		_ = install(previousPath(u.Dir), exe)
		_ = os.Remove(pendingPath(u.Dir))
		return fmt.Errorf("start the watchdog: %w", err)
	}
	return nil
}

// source is where the new binary comes from: a file on the server, or
// the file at path in an image archive on the server.
type source struct{ file, sha256, path string }

// fetchBinary downloads and checks src, and writes the binary to path.
func (u *Upgrader) fetchBinary(ctx context.Context, src source, path string) error {
	if src.path == "" {
		return Download(ctx, u.Fetch, src.file, src.sha256, path, 0o700)
	}
	archive := path + ".image.tar"
	defer os.Remove(archive)
	if err := Download(ctx, u.Fetch, src.file, src.sha256, archive, 0o600); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o700)
	if err != nil {
		return err
	}
	err = ociimage.CopyFile(archive, src.path, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return err
}

// Download fetches file to path (mode) and checks its sha256.
func Download(ctx context.Context, fetch Fetch, file, sum, path string, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, mode)
	if err != nil {
		return err
	}
	h := sha256.New()
	err = fetch(ctx, file, io.MultiWriter(f, h))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("fetch %s: %w", file, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		_ = os.Remove(path)
		return fmt.Errorf("%s has sha256 %s, expected %s", file, got, sum)
	}
	return nil
}

// annotate merges annotations into the node (a "" value removes one).
func (u *Upgrader) annotate(ctx context.Context, ann map[string]string) error {
	return Annotate(ctx, u.Client, u.NodeName, ann)
}

// Annotate merges annotations into node's (a "" value removes one).
func Annotate(ctx context.Context, c kubernetes.Interface, node string, ann map[string]string) error {
	m := map[string]any{}
	for k, v := range ann {
		if v == "" {
			m[k] = nil
		} else {
			m[k] = v
		}
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": m}})
	_, err := c.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{})
	return err
}

// Ready implements lifecycle.Component.
func (u *Upgrader) Ready(context.Context) error { return nil }

// Stop implements lifecycle.Component.
func (u *Upgrader) Stop(ctx context.Context) error { return u.Halt(ctx) }
