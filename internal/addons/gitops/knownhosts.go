package gitops

import (
	"os"
	"path/filepath"

	cryptossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHosts is a host key check from known_hosts content.
func knownHosts(content []byte) (cryptossh.HostKeyCallback, error) {
	dir, err := os.MkdirTemp("", "shoal-known-hosts")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(p, content, 0o600); err != nil {
		return nil, err
	}
	return knownhosts.New(p)
}
