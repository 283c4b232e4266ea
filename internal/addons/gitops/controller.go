package gitops

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/shoal-dev/shoal/internal/addons/deploy"
	"github.com/shoal-dev/shoal/internal/customresource"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// FieldManager owns every field GitOps applies.
const FieldManager = "shoal-gitops"

// AnnOwner marks what a GitRepo applied ("namespace/name"): pruning
// deletes nothing without it.
const AnnOwner = "fleet.shoal.io/gitrepo"

// Controller polls GitRepos and applies them: see the package doc.
type Controller struct {
	lifecycle.Task
	Admin  *rest.Config
	Labels map[string]string // --cluster-label
	Dir    string            // <data-dir>/server/gitops: one bare clone per GitRepo
	Report func(string, ...any)

	client  kubernetes.Interface
	dyn     dynamic.Interface
	applier *deploy.Applier
	next    map[string]time.Time
}

var _ lifecycle.Component = (*Controller)(nil)

// Name implements lifecycle.Component.
func (c *Controller) Name() string { return "gitops controller" }

// Ready implements lifecycle.Component.
func (c *Controller) Ready(context.Context) error { return nil }

// Stop implements lifecycle.Component.
func (c *Controller) Stop(ctx context.Context) error { return c.Halt(ctx) }

// Start implements lifecycle.Component.
func (c *Controller) Start(ctx context.Context) error {
	var err error
	if c.client, err = kubernetes.NewForConfig(c.Admin); err != nil {
		return err
	}
	if c.dyn, err = dynamic.NewForConfig(c.Admin); err != nil {
		return err
	}
	if c.applier, err = deploy.NewApplier(c.Admin, FieldManager, c.Report); err != nil {
		return err
	}
	c.next = map[string]time.Time{}
	stored := false
	return c.Tick(ctx, 2*time.Second, func(ctx context.Context) {
		if !stored {
			stored = storeLabels(ctx, c.client, c.Labels) == nil
		}
		c.pass(ctx)
	})
}

// pass syncs every GitRepo whose polling interval has passed.
func (c *Controller) pass(ctx context.Context) {
	seen := map[string]bool{}
	customresource.Each(ctx, c.dyn.Resource(Resource).Namespace(""), func(u *unstructured.Unstructured, g *GitRepo) {
		key := u.GetNamespace() + "/" + u.GetName()
		seen[key] = true
		if time.Now().Before(c.next[key]) {
			return
		}
		g.Namespace, g.Name = u.GetNamespace(), u.GetName()
		interval, err := time.ParseDuration(g.Spec.PollingInterval)
		if err != nil || interval < time.Second {
			interval = 15 * time.Second
		}
		c.next[key] = time.Now().Add(interval)
		st := c.sync(ctx, g)
		if err := customresource.WriteStatus(ctx, c.dyn.Resource(Resource).Namespace(g.Namespace), u, st); err != nil {
			c.Report("gitrepo %s: status: %v", key, err)
		}
	})
	for key := range c.next {
		if !seen[key] {
			delete(c.next, key) // the GitRepo is gone
		}
	}
}

// sync brings the cluster to the GitRepo's commit and returns the status.
func (c *Controller) sync(ctx context.Context, g *GitRepo) *Status {
	st := g.Status
	fail := func(commit string, err error) *Status {
		if st.Error != err.Error() {
			c.Report("gitrepo %s/%s: %v", g.Namespace, g.Name, err)
		}
		st.Phase, st.Error, st.Failed = "Error", err.Error(), commit
		return &st
	}
	l, err := clusterLabels(ctx, c.client)
	if err != nil {
		return fail("", fmt.Errorf("cluster labels: %w", err))
	}
	target, ok, err := match(g.Spec.Targets, l)
	if err != nil {
		return fail("", err)
	}
	if !ok {
		c.prune(ctx, g, st.Applied, nil)
		return &Status{Phase: "NotTargeted"}
	}
	var auth transport.AuthMethod
	if g.Spec.ClientSecretName != "" {
		s, err := c.client.CoreV1().Secrets(g.Namespace).Get(ctx, g.Spec.ClientSecretName, metav1.GetOptions{})
		if err != nil {
			return fail("", fmt.Errorf("clientSecretName: %w", err))
		}
		if auth, err = authFrom(s); err != nil {
			return fail("", err)
		}
	}
	commit, err := fetch(ctx, filepath.Join(c.Dir, g.Namespace+"_"+g.Name), g.Spec, auth)
	if err != nil {
		return fail("", err)
	}
	hash := commit.Hash.String()
	if hash == st.Commit && st.Phase == "Ready" && target.Name == st.Target {
		st.Resources = c.readiness(ctx, st.Applied)
		return &st
	}
	if hash == st.Failed {
		return &st // that commit was refused already: wait for the next
	}
	items, err := render(commit, g.Spec.Paths, target, g.Namespace)
	if err != nil {
		return fail(hash, err)
	}
	refs, err := c.apply(ctx, g, items)
	if err != nil {
		return fail(hash, err)
	}
	c.prune(ctx, g, st.Applied, refs)
	c.Report("gitrepo %s/%s: commit %s applied (%d objects, target %s)", g.Namespace, g.Name, hash[:12], len(refs), target.Name)
	return &Status{Phase: "Ready", Commit: hash, Target: target.Name, Applied: refs, Resources: c.readiness(ctx, refs)}
}

// apply dry-runs every object first, so that a commit is applied whole
// or not at all, then applies them for real.
func (c *Controller) apply(ctx context.Context, g *GitRepo, items []item) ([]deploy.Ref, error) {
	owner := g.Namespace + "/" + g.Name
	for _, it := range items {
		ann := it.obj.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[AnnOwner] = owner
		it.obj.SetAnnotations(ann)
	}
	deploy.SortForApply(items, func(it item) *unstructured.Unstructured { return it.obj })
	for _, dry := range []bool{true, false} {
		var refs []deploy.Ref
		for _, it := range items {
			ref, err := c.applier.Apply(ctx, it.obj, dry)
			if err != nil && !(dry && deploy.NeedsEarlierObject(err)) {
				return nil, fmt.Errorf("%s: %s %s: %w", it.file, it.obj.GetKind(), it.obj.GetName(), err)
			}
			refs = append(refs, ref)
		}
		if !dry {
			return refs, nil
		}
	}
	return nil, nil
}

// prune deletes what the GitRepo applied before and applies no more,
// when it still carries the GitRepo's mark.
func (c *Controller) prune(ctx context.Context, g *GitRepo, before, now []deploy.Ref) {
	var gone []deploy.Ref
	for _, r := range before {
		if slices.Contains(now, r) {
			continue
		}
		o, err := c.applier.Get(ctx, r)
		if err != nil || o == nil || o.GetAnnotations()[AnnOwner] != g.Namespace+"/"+g.Name {
			continue
		}
		gone = append(gone, r)
	}
	if len(gone) > 0 {
		c.applier.DeleteAll(ctx, gone)
		c.Report("gitrepo %s/%s: pruned %d objects", g.Namespace, g.Name, len(gone))
	}
}
