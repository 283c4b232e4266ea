package token

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// EnsureServer settles the server's token and writes it, full, to path
// (0600): given (from --token or --token-file, a bare secret or a full
// token) wins, then the token already in path, then a fresh one. A full
// token must pin this cluster's CA.
func EnsureServer(path, given string, caBundle []byte) (Token, error) {
	hash := CAHash(caBundle)
	var cred string
	switch {
	case given != "":
		t, err := Parse(given)
		if err != nil {
			return Token{}, fmt.Errorf("--token: %w", err)
		}
		if t.CAHash != "" && t.CAHash != hash {
			return Token{}, fmt.Errorf("--token: pins CA %s…, but this server's CA is %s…", t.CAHash[:12], hash[:12])
		}
		cred = serverCredential(t)
	default:
		b, err := os.ReadFile(path)
		switch {
		case err == nil:
			t, perr := Parse(string(b))
			if perr != nil {
				return Token{}, fmt.Errorf("%s: %w", path, perr)
			}
			cred = t.Credential
		case errors.Is(err, os.ErrNotExist):
			cred = NewServerCredential()
		default:
			return Token{}, err
		}
	}
	t := Token{CAHash: hash, Credential: cred}
	if cur, err := os.ReadFile(path); err == nil && string(cur) == t.String()+"\n" {
		return t, nil
	}
	return t, atomicfile.Write(path, []byte(t.String()+"\n"), 0o600)
}

// ServerCredential is the server credential a --token value stands for
// (a bare secret is the server user's).
func ServerCredential(given string) (string, error) {
	t, err := Parse(given)
	if err != nil {
		return "", fmt.Errorf("--token: %w", err)
	}
	return serverCredential(t), nil
}

func serverCredential(t Token) string {
	if !strings.Contains(t.Credential, ":") {
		return ServerUser + ":" + t.Credential
	}
	return t.Credential
}
