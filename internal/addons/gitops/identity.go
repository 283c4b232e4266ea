package gitops

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/shoal-dev/shoal/internal/addons/deploy"
)

// identity is who applies, reads back and prunes one GitRepo's objects.
type identity struct {
	applier *deploy.Applier
	dyn     dynamic.Interface
}

// restConfigFor is the identity g applies as: its spec.serviceAccountName
// by impersonation, so that the account's RBAC bounds what the repository
// can create or delete, or else the admin (cluster-admin, as Flux's and
// Fleet's defaults). GitRepos are namespaced: the account is looked up in
// the GitRepo's namespace, never elsewhere.
func restConfigFor(admin *rest.Config, g *GitRepo) (*rest.Config, error) {
	sa := g.Spec.ServiceAccountName
	if sa == "" {
		return admin, nil
	}
	if errs := validation.IsDNS1123Subdomain(sa); len(errs) > 0 {
		return nil, fmt.Errorf("spec.serviceAccountName %q: %s", sa, strings.Join(errs, "; "))
	}
	cfg := rest.CopyConfig(admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: serviceaccount.MakeUsername(g.Namespace, sa)}
	return cfg, nil
}

// identityFor is g's identity, built once per user and kept (an applier
// holds a discovery cache worth reusing).
func (c *Controller) identityFor(g *GitRepo) (*identity, error) {
	cfg, err := restConfigFor(c.Admin, g)
	if err != nil {
		return nil, err
	}
	user := cfg.Impersonate.UserName
	if id, ok := c.identities[user]; ok {
		return id, nil
	}
	id := &identity{}
	if id.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		return nil, err
	}
	if id.applier, err = deploy.NewApplier(cfg, FieldManager, c.Report); err != nil {
		return nil, err
	}
	c.identities[user] = id
	return id, nil
}
