package gitops

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/shoal-dev/shoal/internal/addons/deploy"
	"github.com/shoal-dev/shoal/internal/customresource"
	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// FieldManager owns every field GitOps applies.
const FieldManager = "shoal-gitops"

// Controller polls GitRepos and applies them: see the package doc.
type Controller struct {
	lifecycle.Task
	Admin  *rest.Config
	Labels map[string]string // --cluster-label
	Dir    string            // <data-dir>/server/gitops: one bare clone per GitRepo
	Report func(string, ...any)

	client     kubernetes.Interface
	dyn        dynamic.Interface         // the admin's: GitRepos and their status
	mapper     meta.ResettableRESTMapper // kinds to resources, for ownership reads and release
	identities map[string]*identity      // by impersonated user ("": the admin)
	next       map[string]time.Time
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
	disc, err := discovery.NewDiscoveryClientForConfig(c.Admin)
	if err != nil {
		return err
	}
	c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))
	c.identities = map[string]*identity{}
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
			c.Report("gitrepo %s: %v", g.key(), err)
		}
		st.Phase, st.Error, st.Failed = "Error", err.Error(), commit
		return &st
	}
	id, err := c.identityFor(g)
	if err != nil {
		return fail("", err)
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
		c.prune(ctx, id, g, st.Applied, nil)
		return &Status{Phase: "NotTargeted"}
	}
	auth, err := c.auth(ctx, g)
	if err != nil {
		return fail("", err)
	}
	commit, err := fetch(ctx, filepath.Join(c.Dir, g.Namespace+"_"+g.Name), g.Spec, auth)
	if err != nil {
		return fail("", err)
	}
	hash := commit.Hash.String()
	if hash == st.Commit && st.Phase == "Ready" && target.Name == st.Target {
		st.Resources = readiness(ctx, id.applier, st.Applied)
		return &st
	}
	if hash == st.Failed {
		return &st // that commit was refused already: wait for the next
	}
	items, err := render(commit, g.Spec.Paths, target, g.Namespace)
	if err != nil {
		return fail(hash, err)
	}
	refs, err := c.apply(ctx, id, g, items)
	if err != nil {
		return fail(hash, err)
	}
	c.prune(ctx, id, g, st.Applied, refs)
	c.Report("gitrepo %s: commit %s applied (%d objects, target %s)", g.key(), hash[:12], len(refs), target.Name)
	return &Status{Phase: "Ready", Commit: hash, Target: target.Name, Applied: refs, Resources: readiness(ctx, id.applier, refs)}
}

// auth reads the GitRepo's clientSecretName (nil: none).
func (c *Controller) auth(ctx context.Context, g *GitRepo) (transport.AuthMethod, error) {
	if g.Spec.ClientSecretName == "" {
		return nil, nil
	}
	s, err := c.client.CoreV1().Secrets(g.Namespace).Get(ctx, g.Spec.ClientSecretName, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("clientSecretName: %w", err)
	}
	return authFrom(g.Spec.Repo, s)
}

// apply dry-runs every object first, so that a commit is applied whole
// or not at all, then applies them for real, each marked as created by
// the GitRepo only if it did not exist just before.
func (c *Controller) apply(ctx context.Context, id *identity, g *GitRepo, items []item) ([]deploy.Ref, error) {
	owner := g.key()
	for _, it := range items {
		mark(it.obj, owner, false)
	}
	deploy.SortForApply(items, func(it item) *unstructured.Unstructured { return it.obj })
	for _, it := range items {
		if _, err := id.applier.Apply(ctx, it.obj, true); err != nil && !deploy.NeedsEarlierObject(err) {
			return nil, fmt.Errorf("%s: %s %s: %w", it.file, it.obj.GetKind(), it.obj.GetName(), err)
		}
	}
	refs := make([]deploy.Ref, 0, len(items))
	for _, it := range items {
		before, err := c.existing(ctx, id.dyn, it.obj)
		if err != nil {
			return nil, fmt.Errorf("%s: %s %s: read before apply: %w", it.file, it.obj.GetKind(), it.obj.GetName(), err)
		}
		mark(it.obj, owner, createdBy(before, owner))
		ref, err := id.applier.Apply(ctx, it.obj, false)
		if err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", it.file, it.obj.GetKind(), it.obj.GetName(), err)
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// prune handles what the GitRepo applied before and applies no more,
// when it still carries the GitRepo's mark: deleted if the GitRepo
// created it, released (annotations removed, object kept) if it adopted
// it — a Namespace that was there before, say.
func (c *Controller) prune(ctx context.Context, id *identity, g *GitRepo, before, now []deploy.Ref) {
	var gone []deploy.Ref
	released := 0
	for _, r := range before {
		if slices.Contains(now, r) {
			continue
		}
		o, err := id.applier.Get(ctx, r)
		if err != nil {
			c.Report("gitrepo %s: prune %s %s/%s: %v", g.key(), r.Kind, r.Namespace, r.Name, err)
			continue
		}
		switch pruneDecision(o, g.key()) {
		case pruneDelete:
			gone = append(gone, r)
		case pruneRelease:
			if err := c.release(ctx, id.dyn, o); err != nil {
				c.Report("gitrepo %s: release %s %s/%s: %v", g.key(), r.Kind, r.Namespace, r.Name, err)
				continue
			}
			released++
		}
	}
	if len(gone) > 0 {
		id.applier.DeleteAll(ctx, gone)
	}
	if len(gone) > 0 || released > 0 {
		c.Report("gitrepo %s: pruned %d objects, released %d adopted ones", g.key(), len(gone), released)
	}
}
