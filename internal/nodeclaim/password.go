package nodeclaim

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/token"
)

// Password is a node's random secret for its name, created at its first
// start and kept in etcDir/node-password (0600). Agents send it when they
// join; a server's own node and a local agent claim with it directly.
func Password(etcDir string) (string, error) {
	path := filepath.Join(etcDir, "node-password")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(etcDir, 0o700); err != nil {
		return "", err
	}
	id, secret := token.NewBootstrap()
	pw := id + secret + id + secret
	return pw, atomicfile.Write(path, []byte(pw+"\n"), 0o600)
}
