package pki

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// Leaf describes a certificate to issue.
type Leaf struct {
	CommonName   string
	Organization []string
	DNSNames     []string
	IPs          []net.IP
	Client       bool
	Server       bool
}

// Issued tells what EnsureLeaf did.
type Issued int

// What EnsureLeaf did with a leaf.
const (
	Reused Issued = iota
	Created
	Renewed
)

// EnsureLeaf makes certPath/keyPath hold a certificate matching want,
// signed by ca, reusing the existing one when it is still good.
func EnsureLeaf(ca *CA, want Leaf, certPath, keyPath string, now time.Time) (Issued, error) {
	key, err := LoadOrCreateKey(keyPath)
	if err != nil {
		return 0, err
	}
	action := Created
	if cur, err := LoadCert(certPath); err == nil {
		if good(ca, cur, want, key.Public(), now) {
			return Reused, nil
		}
		action = Renewed
	}
	data, err := Sign(ca, want, key.Public(), now)
	if err != nil {
		return 0, err
	}
	return action, atomicfile.Write(certPath, data, 0o644)
}

// Sign issues want for the public key pub and returns the PEM chain (leaf
// then CA, so clients that only know a root verify). The join protocol
// signs agents' keys with it: their private keys never leave the agent.
func Sign(ca *CA, want Leaf, pub any, now time.Time) ([]byte, error) {
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: want.CommonName, Organization: want.Organization},
		DNSNames:     want.DNSNames,
		IPAddresses:  want.IPs,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(LeafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	if want.Client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	if want.Server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, pub, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("issue %s: %w", want.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	chain := append(EncodeCert(cert), EncodeCert(ca.Cert)...)
	return append(chain, ca.Cross...), nil
}

// Good reports whether the certificate at certPath, for the key pub, can
// be kept: see good.
func Good(caCert *x509.Certificate, certPath string, want Leaf, pub any, now time.Time) bool {
	cur, err := LoadCert(certPath)
	return err == nil && good(&CA{Cert: caCert}, cur, want, pub, now)
}

// good reports whether cur can be kept: same CA, same key, same subject,
// every wanted name present, and not close to expiry.
func good(ca *CA, cur *x509.Certificate, want Leaf, pub any, now time.Time) bool {
	if cur.CheckSignatureFrom(ca.Cert) != nil {
		return false
	}
	if k, ok := pub.(interface{ Equal(x crypto.PublicKey) bool }); !ok || !k.Equal(cur.PublicKey) {
		return false
	}
	if cur.Subject.CommonName != want.CommonName || !slices.Equal(cur.Subject.Organization, want.Organization) {
		return false
	}
	if now.Add(RenewBefore).After(cur.NotAfter) {
		return false
	}
	for _, d := range want.DNSNames {
		if !slices.Contains(cur.DNSNames, d) {
			return false
		}
	}
	for _, ip := range want.IPs {
		if !slices.ContainsFunc(cur.IPAddresses, func(x net.IP) bool { return bytes.Equal(x.To16(), ip.To16()) }) {
			return false
		}
	}
	return true
}
