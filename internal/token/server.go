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
	return ensure(path, given, "--token", ServerUser, caBundle)
}

// EnsureAgent settles the agents' token as EnsureServer does the
// server's, in the "agent" user: it joins nodes and nothing more, so a
// given credential of another user is refused.
func EnsureAgent(path, given string, caBundle []byte) (Token, error) {
	return ensure(path, given, "--agent-token", AgentUser, caBundle)
}

// ensure is EnsureServer and EnsureAgent: flag names where given came
// from, user the credential's user.
func ensure(path, given, flag, user string, caBundle []byte) (Token, error) {
	hash := CAHash(caBundle)
	var cred string
	switch {
	case given != "":
		t, err := Parse(given)
		if err != nil {
			return Token{}, fmt.Errorf("%s: %w", flag, err)
		}
		if t.CAHash != "" && t.CAHash != hash {
			return Token{}, fmt.Errorf("%s: pins CA %s…, but this server's CA is %s…", flag, t.CAHash[:12], hash[:12])
		}
		cred = withUser(t, user)
		if user == AgentUser && !strings.HasPrefix(cred, AgentUser+":") {
			return Token{}, fmt.Errorf("%s: the credential's user must be %q", flag, AgentUser)
		}
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
			cred = user + ":" + randomString("0123456789abcdef", 32)
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
	return withUser(t, ServerUser), nil
}

// withUser is t's credential, in user's name when it is a bare secret.
func withUser(t Token, user string) string {
	if !strings.Contains(t.Credential, ":") {
		return user + ":" + t.Credential
	}
	return t.Credential
}
