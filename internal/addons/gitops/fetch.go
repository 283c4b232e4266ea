package gitops

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	corev1 "k8s.io/api/core/v1"
)

// defaultBranch is Fleet's.
const defaultBranch = "master"

// fetch brings the repository's branches and tags into the bare
// repository at dir and returns the commit spec names.
func fetch(ctx context.Context, dir string, spec Spec, auth transport.AuthMethod) (*object.Commit, error) {
	repo, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.PlainInit(dir, true)
	}
	if err != nil {
		return nil, err
	}
	if r, err := repo.Remote("origin"); err == nil && r.Config().URLs[0] != spec.Repo {
		_ = repo.DeleteRemote("origin")
	}
	if _, err := repo.Remote("origin"); errors.Is(err, git.ErrRemoteNotFound) {
		if _, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{spec.Repo},
			Fetch: []gitconfig.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}}); err != nil {
			return nil, err
		}
	}
	err = repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", Auth: auth, Force: true, Tags: git.NoTags})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, fmt.Errorf("fetch %s: %w", spec.Repo, err)
	}
	var h *plumbing.Hash
	if spec.Revision != "" {
		if h, err = repo.ResolveRevision(plumbing.Revision(spec.Revision)); err != nil {
			return nil, fmt.Errorf("revision %q: %w", spec.Revision, err)
		}
	} else {
		branch := spec.Branch
		if branch == "" {
			branch = defaultBranch
		}
		ref, err := repo.Reference(plumbing.NewBranchReferenceName(branch), true)
		if err != nil {
			return nil, fmt.Errorf("branch %q: %w", branch, err)
		}
		hash := ref.Hash()
		h = &hash
	}
	return repo.CommitObject(*h)
}

// knownHostsKey is the clientSecretName key holding the ssh host keys to
// trust, in OpenSSH known_hosts format.
const knownHostsKey = "known_hosts"

// authFrom reads clientSecretName for repo: for an ssh repository
// (ssh:// or user@host:path) an ssh-privatekey and the known_hosts that
// check the server, both required (there is no trust-any-host fallback);
// otherwise basic auth (username, password) for https.
func authFrom(repo string, s *corev1.Secret) (transport.AuthMethod, error) {
	name := s.Namespace + "/" + s.Name
	if !isSSH(repo) {
		return &githttp.BasicAuth{Username: string(s.Data[corev1.BasicAuthUsernameKey]), Password: string(s.Data[corev1.BasicAuthPasswordKey])}, nil
	}
	kh := s.Data[knownHostsKey]
	if len(kh) == 0 {
		return nil, fmt.Errorf("secret %s: ssh needs %s (the host key to trust)", name, knownHostsKey)
	}
	key, ok := s.Data[corev1.SSHAuthPrivateKey]
	if !ok {
		return nil, fmt.Errorf("secret %s: ssh needs %s (the deploy key)", name, corev1.SSHAuthPrivateKey)
	}
	pk, err := gitssh.NewPublicKeys("git", key, "")
	if err != nil {
		return nil, fmt.Errorf("secret %s: %s: %w", name, corev1.SSHAuthPrivateKey, err)
	}
	if pk.HostKeyCallback, err = knownHosts(kh); err != nil {
		return nil, fmt.Errorf("secret %s: %s: %w", name, knownHostsKey, err)
	}
	return pk, nil
}

// isSSH reports whether go-git reaches repo over ssh.
func isSSH(repo string) bool {
	ep, err := transport.NewEndpoint(repo)
	return err == nil && ep.Protocol == "ssh"
}
