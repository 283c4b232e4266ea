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
}

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
		return &CA{Cert: cert, Key: key, CertPath: certPath}, nil
	}
	if !errors.Is(certErr, os.ErrNotExist) {
		return nil, certErr
	}
	key, err := LoadOrCreateKey(keyPath)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: fmt.Sprintf("%s@%d", commonName, now.Unix())},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create CA %s: %w", commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(certPath, EncodeCert(cert), 0o644); err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, CertPath: certPath}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return n
}
