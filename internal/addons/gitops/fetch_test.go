package gitops

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	cryptossh "golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAuthFrom: a basic-auth Secret gives https credentials, an ssh one
// a key (checked against known_hosts when given), a bad key a clear error.
func TestAuthFrom(t *testing.T) {
	basic, err := authFrom(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"},
		Data: map[string][]byte{"username": []byte("fleet"), "password": []byte("s3cret")}})
	if b, ok := basic.(*githttp.BasicAuth); err != nil || !ok || b.Username != "fleet" || b.Password != "s3cret" {
		t.Fatalf("basic auth: %#v %v", basic, err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := cryptossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := cryptossh.NewSignerFromKey(priv)
	knownHosts := "git.example " + string(cryptossh.MarshalAuthorizedKey(signer.PublicKey()))
	key, err := authFrom(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "deploy-key"},
		Data: map[string][]byte{"ssh-privatekey": pem.EncodeToMemory(block), "known_hosts": []byte(knownHosts)}})
	if _, ok := key.(*gitssh.PublicKeys); err != nil || !ok {
		t.Fatalf("ssh key: %#v %v", key, err)
	}
	if _, err := authFrom(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "broken"},
		Data: map[string][]byte{"ssh-privatekey": []byte("not a key")}}); err == nil || !strings.Contains(err.Error(), "secret broken: ssh-privatekey") {
		t.Fatalf("bad key: %v", err)
	}
}

// TestFetchLocalPath: a repository given as a local path is fetched
// without a git command; branch and revision (tag) resolve, and a later
// commit arrives on the next fetch.
func TestFetchLocalPath(t *testing.T) {
	src := t.TempDir()
	repo, err := git.PlainInit(src, false)
	if err != nil {
		t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	commit := func(content string) plumbing.Hash {
		t.Helper()
		if err := os.WriteFile(filepath.Join(src, "cm.yaml"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := wt.Add("cm.yaml"); err != nil {
			t.Fatal(err)
		}
		h, err := wt.Commit(content, &git.CommitOptions{Author: &object.Signature{Name: "t", Email: "t@t", When: time.Now()}})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	first := commit("one")
	if _, err := repo.CreateTag("v1", first, nil); err != nil {
		t.Fatal(err)
	}
	second := commit("two")
	cache := filepath.Join(t.TempDir(), "clone")
	for _, tc := range []struct {
		spec Spec
		want plumbing.Hash
	}{
		{Spec{Repo: src}, second},
		{Spec{Repo: src, Revision: "v1"}, first},
		{Spec{Repo: src, Revision: first.String()}, first},
	} {
		c, err := fetch(context.Background(), cache, tc.spec, nil)
		if err != nil || c.Hash != tc.want {
			t.Fatalf("fetch %+v: %v %v, want %s", tc.spec, c, err, tc.want)
		}
	}
	third := commit("three")
	if c, err := fetch(context.Background(), cache, Spec{Repo: src}, nil); err != nil || c.Hash != third {
		t.Fatalf("after a new commit: %v %v, want %s", c, err, third)
	}
	if _, err := fetch(context.Background(), cache, Spec{Repo: src, Branch: "nope"}, nil); err == nil || !strings.Contains(err.Error(), `branch "nope"`) {
		t.Fatalf("missing branch: %v", err)
	}
}
