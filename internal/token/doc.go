// Package token owns shoal's join tokens: the full format that pins the
// cluster CA (K10<sha256 of the CA bundle>::<credential>), the server's own
// credential, and bootstrap tokens stored as Kubernetes bootstrap-token
// Secrets (id.secret, with TTL and description). It does not serve or
// check requests; package supervisor does.
package token
