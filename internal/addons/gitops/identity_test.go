package gitops

import (
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

// TestRestConfigImpersonatesServiceAccount: with serviceAccountName the
// GitRepo applies as that account of its own namespace (so the account's
// RBAC, not cluster-admin, bounds what the repository can do); without,
// as the admin.
func TestRestConfigImpersonatesServiceAccount(t *testing.T) {
	admin := &rest.Config{Host: "https://127.0.0.1:6443", BearerToken: "admin"}
	g := &GitRepo{Namespace: "team-a", Name: "apps", Spec: Spec{ServiceAccountName: "deployer"}}
	cfg, err := restConfigFor(admin, g)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.Impersonate.UserName, "system:serviceaccount:team-a:deployer"; got != want {
		t.Fatalf("impersonates %q, want %q", got, want)
	}
	if len(cfg.Impersonate.Groups) != 0 || len(cfg.Impersonate.Extra) != 0 {
		t.Fatalf("impersonates groups %v extra %v: the apiserver adds the account's own", cfg.Impersonate.Groups, cfg.Impersonate.Extra)
	}
	if cfg == admin || admin.Impersonate.UserName != "" {
		t.Fatal("the admin config was changed")
	}

	g.Spec.ServiceAccountName = ""
	if cfg, err := restConfigFor(admin, g); err != nil || cfg.Impersonate.UserName != "" {
		t.Fatalf("without serviceAccountName: impersonates %q (%v), want the admin", cfg.Impersonate.UserName, err)
	}
}

// TestRestConfigRefusesBadServiceAccountName: a name that is not a
// ServiceAccount name (a colon could reach for another user name) is
// refused, naming the field.
func TestRestConfigRefusesBadServiceAccountName(t *testing.T) {
	for _, sa := range []string{"kube-system:admin", "Deployer", "a/b"} {
		g := &GitRepo{Namespace: "team-a", Name: "apps", Spec: Spec{ServiceAccountName: sa}}
		if _, err := restConfigFor(&rest.Config{}, g); err == nil || !strings.HasPrefix(err.Error(), "spec.serviceAccountName") {
			t.Errorf("%q: %v, want a spec.serviceAccountName error", sa, err)
		}
	}
}
