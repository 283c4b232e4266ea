package certs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/shoal-dev/shoal/internal/pki"
)

// caNames are the cluster's certificate authorities and their names.
func (s *Server) caNames() []struct {
	Pair
	Name string
} {
	return []struct {
		Pair
		Name string
	}{
		{s.ServerCA, "shoal-server-ca"}, {s.ClientCA, "shoal-client-ca"}, {s.RequestHeaderCA, "shoal-request-header-ca"},
		{s.KubeletServingCA, "shoal-kubelet-serving-ca"},
		{s.EtcdServerCA, "shoal-etcd-server-ca"}, {s.EtcdPeerCA, "shoal-etcd-peer-ca"},
	}
}

// RotateCAs replaces every CA of the server (the data dir's files, the
// server stopped) with a new one cross-signed by the old, after copying
// the old files into backupDir. The next start re-issues every leaf from
// the new CAs; clients and agents that trust only the old CAs keep
// verifying them through the cross-signed certificates.
func RotateCAs(s *Server, backupDir string, now time.Time) ([]string, error) {
	var rotated []string
	for _, ca := range s.caNames() {
		if _, err := os.Stat(ca.Cert); errors.Is(err, os.ErrNotExist) {
			continue
		}
		for _, f := range []string{ca.Cert, ca.Key, pki.CrossPath(ca.Cert)} {
			if err := backup(f, filepath.Join(backupDir, filepath.Base(filepath.Dir(f)), filepath.Base(f))); err != nil {
				return rotated, err
			}
		}
		if err := pki.RotateCA(ca.Cert, ca.Key, ca.Name, now); err != nil {
			return rotated, fmt.Errorf("rotate %s: %w", ca.Cert, err)
		}
		rotated = append(rotated, ca.Cert)
	}
	return rotated, nil
}

// backup copies from to to (0600), if from exists.
func backup(from, to string) error {
	b, err := os.ReadFile(from)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
