package token

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// MinSecretLen is the shortest secret shoal accepts from a user: as long
// as a bootstrap token's secret. shoal's own secrets are 32 characters.
const MinSecretLen = 16

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

// NewServer is the token `shoal token rotate` installs: given (from
// --new-token, held to the same rules as --token) or a fresh one. It
// writes nothing.
func NewServer(given string, caBundle []byte) (Token, error) {
	hash := CAHash(caBundle)
	if given == "" {
		return Token{CAHash: hash, Credential: NewServerCredential()}, nil
	}
	cred, err := givenCredential(given, "--new-token", ServerUser, hash)
	if err != nil {
		return Token{}, err
	}
	if err := strongEnough(cred, "--new-token"); err != nil {
		return Token{}, err
	}
	return Token{CAHash: hash, Credential: cred}, nil
}

// ensure is EnsureServer and EnsureAgent: flag names where given came
// from, user the credential's user.
func ensure(path, given, flag, user string, caBundle []byte) (Token, error) {
	hash := CAHash(caBundle)
	stored, err := ReadFile(path)
	if err != nil && given == "" && !errors.Is(err, os.ErrNotExist) {
		return Token{}, err // a given token replaces an unreadable file
	}
	cred := stored.Credential
	switch {
	case given != "":
		if cred, err = givenCredential(given, flag, user, hash); err != nil {
			return Token{}, err
		}
		// The token the server already holds is not a new choice: a
		// cluster made before secrets had a minimum length keeps
		// starting, restoring and joining servers with it.
		if !Equal(cred, stored.Credential) {
			if err := strongEnough(cred, flag); err != nil {
				return Token{}, err
			}
		}
	case cred == "":
		cred = newCredential(user)
	}
	t := Token{CAHash: hash, Credential: cred}
	if stored == t {
		return t, nil
	}
	return t, WriteFile(path, t)
}

// givenCredential is the credential a flag's value stands for, in user's
// name; a full token must pin the CA whose hash is caHash.
func givenCredential(given, flag, user, caHash string) (string, error) {
	t, err := Parse(given)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	if t.CAHash != "" && t.CAHash != caHash {
		return "", fmt.Errorf("%s: pins CA %s…, but this server's CA is %s…", flag, t.CAHash[:12], caHash[:12])
	}
	cred := withUser(t, user)
	if user == AgentUser && !strings.HasPrefix(cred, AgentUser+":") {
		return "", fmt.Errorf("%s: the credential's user must be %q", flag, AgentUser)
	}
	return cred, nil
}

// strongEnough refuses a user-chosen secret too short to resist guessing
// (the public port answers anyone who tries).
func strongEnough(cred, flag string) error {
	_, secret, _ := strings.Cut(cred, ":")
	if len(secret) < MinSecretLen {
		return fmt.Errorf("%s: the secret must be at least %d characters long; generate one with `openssl rand -hex 16`", flag, MinSecretLen)
	}
	return nil
}

// ReadFile reads the full token kept at path.
func ReadFile(path string) (Token, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Token{}, err
	}
	t, err := Parse(string(b))
	if err != nil {
		return Token{}, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// WriteFile replaces path with t, full (0600), atomically: a reader, or a
// start after a crash, sees the old token or the new one.
func WriteFile(path string, t Token) error {
	return atomicfile.Write(path, []byte(t.String()+"\n"), 0o600)
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
