package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/shoal-dev/shoal/internal/atomicfile"
)

// Validity periods, as K3s uses them.
const (
	CAValidity   = 10 * 365 * 24 * time.Hour
	LeafValidity = 365 * 24 * time.Hour
	RenewBefore  = 90 * 24 * time.Hour
)

// CA is a certificate authority whose key is on this server.
type CA struct {
	Cert     *x509.Certificate
	Key      crypto.Signer
	CertPath string
	// Cross is, after `shoal certificate rotate-ca`, this CA's certificate
	// signed by the CA it replaced (PEM): sent along every leaf, so peers
	// that still trust only the old CA verify the new leaves.
	Cross []byte
}

// CrossPath is where the cross-signed certificate of the CA at certPath
// is kept.
func CrossPath(certPath string) string { return strings.TrimSuffix(certPath, ".crt") + ".cross.crt" }

// LoadOrCreateCA returns the CA stored at certPath/keyPath, creating a
// self-signed one named commonName when neither file exists.
func LoadOrCreateCA(certPath, keyPath, commonName string) (*CA, error) {
	_, certErr := os.Stat(certPath)
	if certErr == nil {
		key, err := LoadKey(keyPath)
		if err != nil {
			return nil, fmt.Errorf("CA %s: %w", commonName, err)
		}
		cert, err := LoadCert(certPath)
		if err != nil {
			return nil, fmt.Errorf("CA %s: %w", commonName, err)
		}
		cross, err := os.ReadFile(CrossPath(certPath))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return &CA{Cert: cert, Key: key, CertPath: certPath, Cross: cross}, nil
	}
	if !errors.Is(certErr, os.ErrNotExist) {
		return nil, certErr
	}
	key, err := LoadOrCreateKey(keyPath)
	if err != nil {
		return nil, err
	}
	cert, err := selfSigned(commonName, key, time.Now())
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(certPath, EncodeCert(cert), 0o644); err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPath: certPath}, nil
}

// caTemplate is a CA certificate named commonName@<unix time>.
func caTemplate(commonName string, now time.Time) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: fmt.Sprintf("%s@%d", commonName, now.Unix())},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

func selfSigned(commonName string, key crypto.Signer, now time.Time) (*x509.Certificate, error) {
	tmpl := caTemplate(commonName, now)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create CA %s: %w", commonName, err)
	}
	return x509.ParseCertificate(der)
}

// RotateCA replaces the CA at certPath/keyPath with a new key and
// certificate. The certificate file becomes the bundle new + old (trust
// both while leaves are re-issued), and the new certificate cross-signed
// by the old CA is written to CrossPath (sent with every new leaf). The
// caller keeps a backup of the old files.
func RotateCA(certPath, keyPath, commonName string, now time.Time) error {
	old, err := LoadOrCreateCA(certPath, keyPath, commonName)
	if err != nil {
		return err
	}
	key, err := newKey()
	if err != nil {
		return err
	}
	cert, err := selfSigned(commonName, key, now)
	if err != nil {
		return err
	}
	cross := caTemplate(commonName, now)
	cross.Subject, cross.SubjectKeyId = cert.Subject, cert.SubjectKeyId
	cross.NotAfter = old.Cert.NotAfter // no longer than the old CA vouches
	der, err := x509.CreateCertificate(rand.Reader, cross, old.Cert, key.Public(), old.Key)
	if err != nil {
		return fmt.Errorf("cross-sign CA %s: %w", commonName, err)
	}
	crossCert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	if err := atomicfile.Write(CrossPath(certPath), EncodeCert(crossCert), 0o644); err != nil {
		return err
	}
	return atomicfile.Write(certPath, append(EncodeCert(cert), EncodeCert(old.Cert)...), 0o644)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return n
}
