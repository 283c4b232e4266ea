package gitops

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
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
// a key checked against its known_hosts, a bad key a clear error.
func TestAuthFrom(t *testing.T) {
	basic, err := authFrom("https://git.example/fleet.git", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "creds"},
		Data: map[string][]byte{"username": []byte("fleet"), "password": []byte("s3cret")}})
	if b, ok := basic.(*githttp.BasicAuth); err != nil || !ok || b.Username != "fleet" || b.Password != "s3cret" {
		t.Fatalf("basic auth: %#v %v", basic, err)
	}
	key, knownHosts := sshKeyPair(t)
	auth, err := authFrom("ssh://git@git.example/fleet.git", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "deploy-key"},
		Data: map[string][]byte{"ssh-privatekey": key, "known_hosts": knownHosts}})
	if _, ok := auth.(*gitssh.PublicKeys); err != nil || !ok {
		t.Fatalf("ssh key: %#v %v", auth, err)
	}
	if _, err := authFrom("git@git.example:fleet.git", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "broken"},
		Data: map[string][]byte{"ssh-privatekey": []byte("not a key"), "known_hosts": knownHosts}}); err == nil || !strings.Contains(err.Error(), "secret apps/broken: ssh-privatekey") {
		t.Fatalf("bad key: %v", err)
	}
}

// TestAuthFromRefusesSSHWithoutKnownHosts: the attack is a man in the
// middle answering for the git server with its own host key. Without
// known_hosts there is nothing to check that key against, so the Secret
// is refused (before: any host key was accepted, and whoever answered
// could serve its own manifests for the cluster to apply).
func TestAuthFromRefusesSSHWithoutKnownHosts(t *testing.T) {
	key, _ := sshKeyPair(t)
	for _, repo := range []string{"ssh://git@git.example/fleet.git", "git@git.example:fleet.git"} {
		for _, data := range []map[string][]byte{
			{"ssh-privatekey": key},
			{"ssh-privatekey": key, "known_hosts": {}},
			{"username": []byte("fleet"), "password": []byte("s3cret")},
		} {
			auth, err := authFrom(repo, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "deploy-key"}, Data: data})
			want := "secret apps/deploy-key: ssh needs known_hosts (the host key to trust)"
			if err == nil || err.Error() != want {
				t.Fatalf("%s with %v: %#v %v, want %q", repo, slices.Collect(maps.Keys(data)), auth, err, want)
			}
		}
	}
}

// TestAuthFromChecksHostKey: the callback built from known_hosts accepts
// the listed key and refuses another one for the same host.
func TestAuthFromChecksHostKey(t *testing.T) {
	key, knownHosts := sshKeyPair(t)
	auth, err := authFrom("ssh://git@git.example/fleet.git", &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: "deploy-key"},
		Data: map[string][]byte{"ssh-privatekey": key, "known_hosts": knownHosts}})
	if err != nil {
		t.Fatal(err)
	}
	check := auth.(*gitssh.PublicKeys).HostKeyCallback
	addr := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 22}
	if err := check("git.example:22", addr, publicKey(t, key)); err != nil {
		t.Fatalf("trusted host key refused: %v", err)
	}
	other, _ := sshKeyPair(t)
	if err := check("git.example:22", addr, publicKey(t, other)); err == nil {
		t.Fatal("an impostor's host key was accepted")
	}
}

func TestIsSSH(t *testing.T) {
	for repo, want := range map[string]bool{
		"ssh://git@git.example/fleet.git": true,
		"git@git.example:fleet.git":       true,
		"https://git.example/fleet.git":   false,
		"git://git.example/fleet.git":     false,
		"/srv/git/fleet":                  false,
	} {
		if got := isSSH(repo); got != want {
			t.Errorf("isSSH(%q) = %v, want %v", repo, got, want)
		}
	}
}

// sshKeyPair is a new ed25519 private key (PEM) and a known_hosts line
// trusting its public half for git.example.
func sshKeyPair(t *testing.T) (key, knownHosts []byte) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := cryptossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	key = pem.EncodeToMemory(block)
	return key, append([]byte("git.example "), cryptossh.MarshalAuthorizedKey(publicKey(t, key))...)
}

func publicKey(t *testing.T, pemKey []byte) cryptossh.PublicKey {
	t.Helper()
	signer, err := cryptossh.ParsePrivateKey(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	return signer.PublicKey()
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
