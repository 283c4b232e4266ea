package token

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// prefix marks a full token (the format K3s users know): K10, the hex
// SHA-256 of the CA bundle an agent must find at /cacerts, "::", then the
// credential.
const prefix = "K10"

// Token is a parsed join token.
type Token struct {
	CAHash     string // hex SHA-256 of the CA bundle; empty for a bare credential
	Credential string // "server:SECRET" or a bootstrap token "ID.SECRET"
}

// bootstrapRE is the upstream bootstrap token shape.
var bootstrapRE = regexp.MustCompile(`^([a-z0-9]{6})\.([a-z0-9]{16})$`)

// Parse reads a full token or a bare credential (which pins nothing: the
// agent then trusts the CA it is shown, as K3s does, and says so).
func Parse(s string) (Token, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Token{}, fmt.Errorf("empty")
	}
	if rest, ok := strings.CutPrefix(s, prefix); ok {
		hash, cred, ok := strings.Cut(rest, "::")
		if !ok {
			return Token{}, fmt.Errorf("starts with K10 but has no \"::\" after the CA hash")
		}
		if b, err := hex.DecodeString(hash); err != nil || len(b) != sha256.Size {
			return Token{}, fmt.Errorf("CA hash %q is not a hex SHA-256", hash)
		}
		return Token{CAHash: strings.ToLower(hash), Credential: cred}, validCredential(cred)
	}
	return Token{Credential: s}, validCredential(s)
}

func validCredential(c string) error {
	if c == "" {
		return fmt.Errorf("no credential after the CA hash")
	}
	if strings.ContainsAny(c, " \t\r\n") {
		return fmt.Errorf("credential contains white space")
	}
	return nil
}

// String is the full token.
func (t Token) String() string {
	if t.CAHash == "" {
		return t.Credential
	}
	return prefix + t.CAHash + "::" + t.Credential
}

// Bootstrap splits a bootstrap credential into its id and secret.
func (t Token) Bootstrap() (id, secret string, ok bool) {
	m := bootstrapRE.FindStringSubmatch(t.Credential)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// CAHash is the pin of a CA bundle.
func CAHash(bundle []byte) string {
	sum := sha256.Sum256(bundle)
	return hex.EncodeToString(sum[:])
}

// ServerUser is the user part of the server's own credential.
const ServerUser = "server"

// AgentUser is the user part of the agent token's credential.
const AgentUser = "agent"

// NewServerCredential is a fresh "server:SECRET" (32 hex characters).
func NewServerCredential() string { return newCredential(ServerUser) }

// newCredential is a fresh credential of user: 32 random hex digits.
func newCredential(user string) string { return user + ":" + randomString("0123456789abcdef", 32) }

// NewBootstrap is a fresh bootstrap credential "ID.SECRET".
func NewBootstrap() (id, secret string) {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	return randomString(alphabet, 6), randomString(alphabet, 16)
}

// Equal compares credentials in constant time.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// randomString draws n characters uniformly from alphabet (rejecting the
// bytes that would bias the modulo).
func randomString(alphabet string, n int) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand does not fail on Linux ≥ 3.17
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}
