package osimage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/shoal-dev/shoal/internal/customresource"
	"github.com/shoal-dev/shoal/internal/lifecycle"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// Agent is a node's side: it reports the booted slot and image, confirms
// or abandons a trial boot, and installs the image its node is targeted
// at into the passive slot, then reboots into it.
type Agent struct {
	lifecycle.Task
	Client   kubernetes.Interface // the node's own identity
	Dynamic  dynamic.Interface    // the same identity: reads its orders in OSImages
	NodeName string
	Slots    Slots
	Dir      string        // downloads (on the same disk as the slots)
	Fetch    upgrade.Fetch // from the server's upgrades directory
	// Healthy is the node's own check of a trial boot (nil: none); with
	// NodeReady the Node's Ready condition must be True as well.
	Healthy   func(context.Context) error
	NodeReady bool
	Report    func(string, ...any)
	Poll      time.Duration
}

var _ lifecycle.Component = (*Agent)(nil)

// Name implements lifecycle.Component.
func (a *Agent) Name() string { return "os image agent" }

// Ready implements lifecycle.Component.
func (a *Agent) Ready(context.Context) error { return nil }

// Stop implements lifecycle.Component.
func (a *Agent) Stop(ctx context.Context) error { return a.Halt(ctx) }

// Start implements lifecycle.Component.
func (a *Agent) Start(ctx context.Context) error {
	if a.Poll == 0 {
		a.Poll = 3 * time.Second
	}
	if err := os.MkdirAll(a.Dir, 0o700); err != nil {
		return err
	}
	return a.Go(ctx, a.run)
}

func (a *Agent) run(ctx context.Context) error {
	st, err := a.Slots.State()
	if err != nil {
		return err
	}
	booted, err := ReadInstalled(a.Slots.Dir(st.Booted))
	if err != nil {
		return err
	}
	a.Report("booted slot %s (image %s)", st.Booted, orFactory(booted.Digest))
	ann := map[string]string{AnnSlot: st.Booted, AnnDigest: orFactory(booted.Digest), AnnSHA256: booted.SHA256}
	trial := st.Trial != "" && st.Trial == st.Booted
	switch {
	case trial:
		ann[AnnResult], ann[AnnFor], ann[AnnReason] = ResultVerifying, booted.SHA256, ""
	case st.Failed != "":
		failed, _ := ReadInstalled(a.Slots.Dir(st.Failed))
		reason := fmt.Sprintf("slot %s (image %s) did not pass its boot checks; slot %s booted again", st.Failed, orFactory(failed.Digest), st.Booted)
		a.Report("%s: rolled back", reason)
		ann[AnnResult], ann[AnnFor], ann[AnnReason] = ResultRolledBack, failed.SHA256, reason
	}
	for upgrade.Annotate(ctx, a.Client, a.NodeName, ann) != nil {
		if !a.sleep(ctx) {
			return nil
		}
	}
	if st.Failed != "" && !trial {
		if err := a.Slots.ClearFailed(); err != nil {
			return err
		}
	}
	if trial {
		if err := a.verify(ctx, booted); err != nil {
			return err
		}
	}
	for a.sleep(ctx) {
		n, err := a.Client.CoreV1().Nodes().Get(ctx, a.NodeName, metav1.GetOptions{})
		if err != nil {
			continue
		}
		o := a.order(ctx)
		if o == nil || o.SHA256 == booted.SHA256 || (n.Annotations[AnnResult] == ResultRolledBack && n.Annotations[AnnFor] == o.SHA256) {
			continue
		}
		if err := a.switchTo(ctx, st.Booted, o); err != nil {
			if errors.Is(err, ErrReboot) {
				return err
			}
			a.Report("OS image %s: %v", o.Name, err)
			_ = upgrade.Annotate(ctx, a.Client, a.NodeName, map[string]string{AnnResult: ResultRolledBack, AnnFor: o.SHA256, AnnReason: err.Error()})
		}
	}
	return nil
}

// order is the node's order in an OSImage's status, if any.
func (a *Agent) order(ctx context.Context) *Order {
	o, _, err := customresource.NodeOrder[Order](ctx, a.Dynamic.Resource(Resource), a.NodeName)
	if err != nil || o == nil || o.SHA256 == "" {
		return nil
	}
	return o
}

// switchTo installs the targeted image into the passive slot, makes the
// next boots try it, and reboots.
func (a *Agent) switchTo(ctx context.Context, booted string, o *Order) error {
	target, passive := o.SHA256, Other(booted)
	tries := o.BootTries
	if tries < 1 {
		tries = 1
	}
	_ = upgrade.Annotate(ctx, a.Client, a.NodeName, map[string]string{AnnResult: ResultInstalling, AnnFor: target, AnnReason: ""})
	archive := filepath.Join(a.Dir, "image.tar")
	defer os.Remove(archive)
	if err := upgrade.Download(ctx, a.Fetch, o.File, target, archive, 0o600); err != nil {
		return err
	}
	in, err := Install(ctx, a.Slots, passive, archive, Installed{Name: o.Name, SHA256: target})
	if err != nil {
		return err
	}
	if err := a.Slots.TryOnce(passive, tries); err != nil {
		return err
	}
	a.Report("OS image %s (%s) installed in slot %s; rebooting into it (%d boot(s) to come up)", in.Name, in.Digest, passive, tries)
	_ = upgrade.Annotate(ctx, a.Client, a.NodeName, map[string]string{AnnResult: ResultRebooting})
	return a.Slots.Reboot()
}

// verify confirms the trial slot once its checks pass, or abandons it and
// reboots into the default slot when the deadline passes.
func (a *Agent) verify(ctx context.Context, booted Installed) error {
	secs := 300
	if o := a.order(ctx); o != nil && o.SHA256 == booted.SHA256 && o.DeadlineSeconds > 0 {
		secs = o.DeadlineSeconds
	}
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	var last error
	for time.Now().Before(deadline) {
		if last = a.check(ctx); last == nil {
			if err := a.Slots.Confirm(); err != nil {
				return err
			}
			a.Report("OS image %s (%s) confirmed", booted.Name, booted.Digest)
			return upgrade.Annotate(ctx, a.Client, a.NodeName, map[string]string{AnnResult: ResultComplete, AnnFor: booted.SHA256})
		}
		if !a.sleep(ctx) {
			return nil
		}
	}
	a.Report("OS image %s failed its checks for %ds (%v): back to the previous slot", booted.Name, secs, last)
	if err := a.Slots.Abandon(); err != nil {
		return err
	}
	return a.Slots.Reboot()
}

func (a *Agent) check(ctx context.Context) error {
	if a.NodeReady {
		n, err := a.Client.CoreV1().Nodes().Get(ctx, a.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		ready := false
		for _, c := range n.Status.Conditions {
			ready = ready || (c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue)
		}
		if !ready {
			return errors.New("node not Ready")
		}
	}
	if a.Healthy != nil {
		return a.Healthy(ctx)
	}
	return nil
}

func (a *Agent) sleep(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(a.Poll):
		return true
	}
}

func orFactory(digest string) string {
	if digest == "" {
		return "factory"
	}
	return digest
}
