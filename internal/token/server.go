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

// EnsureAgent settles the agents' token as EnsureServer does the
// server's, in the "agent" user: it joins nodes and nothing more.
func EnsureAgent(path, given string, caBundle []byte) (Token, error) {
	hash := CAHash(caBundle)
	var cred string
	if given != "" {
		t, err := Parse(given)
		if err != nil {
			return Token{}, fmt.Errorf("--agent-token: %w", err)
		}
		if t.CAHash != "" && t.CAHash != hash {
			return Token{}, fmt.Errorf("--agent-token: pins CA %s…, but this server's CA is %s…", t.CAHash[:12], hash[:12])
		}
		cred = t.Credential
		if !strings.Contains(cred, ":") {
			cred = AgentUser + ":" + cred
		}
		if !strings.HasPrefix(cred, AgentUser+":") {
			return Token{}, fmt.Errorf("--agent-token: the credential's user must be %q", AgentUser)
		}
	} else if b, err := os.ReadFile(path); err == nil {
		t, perr := Parse(string(b))
		if perr != nil {
			return Token{}, fmt.Errorf("%s: %w", path, perr)
		}
		cred = t.Credential
	} else if errors.Is(err, os.ErrNotExist) {
		cred = AgentUser + ":" + strings.TrimPrefix(NewServerCredential(), ServerUser+":")
	} else {
		return Token{}, err
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
