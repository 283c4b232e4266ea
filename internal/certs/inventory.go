package certs

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/shoal-dev/shoal/internal/pki"
)

// File is one certificate on disk, for `shoal certificate check|rotate`.
type File struct {
	Path     string
	Subject  string
	NotAfter time.Time
	IsCA     bool
}

// Inventory lists the certificates (not the keys) in dirs that exist.
func Inventory(dirs ...string) ([]File, error) {
	var out []File
	for _, dir := range dirs {
		matches, err := filepath.Glob(filepath.Join(dir, "*.crt"))
		if err != nil {
			return nil, err
		}
		for _, m := range matches {
			c, err := pki.LoadCert(m)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m, err)
			}
			out = append(out, File{Path: m, Subject: c.Subject.CommonName, NotAfter: c.NotAfter, IsCA: c.IsCA})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Status says what shoal will do with f at its next start.
func (f File) Status(now time.Time) string {
	switch {
	case now.After(f.NotAfter):
		return "expired (re-issued at next start)"
	case !f.IsCA && now.Add(pki.RenewBefore).After(f.NotAfter):
		return "expires soon (re-issued at next start)"
	default:
		return "ok"
	}
}

// Rotate moves the leaf certificates and their keys into backupDir, so the
// next start issues new ones from the same CAs (nodes and clients keep
// trusting them). services limits it to files whose name contains one of
// them; CAs are never moved. It returns the certificates moved.
func Rotate(files []File, services []string, backupDir string) ([]string, error) {
	var moved []string
	for _, f := range files {
		if f.IsCA || !wanted(filepath.Base(f.Path), services) {
			continue
		}
		dir := filepath.Dir(f.Path) // …/server/tls, …/agent/tls, …/server/tls/etcd
		dst := filepath.Join(backupDir, filepath.Base(filepath.Dir(dir)), filepath.Base(dir), filepath.Base(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return moved, err
		}
		key := strings.TrimSuffix(f.Path, ".crt") + ".key"
		if err := os.Rename(f.Path, dst); err != nil {
			return moved, err
		}
		if err := os.Rename(key, strings.TrimSuffix(dst, ".crt")+".key"); err != nil && !os.IsNotExist(err) {
			return moved, err
		}
		moved = append(moved, f.Path)
	}
	return moved, nil
}

func wanted(name string, services []string) bool {
	if len(services) == 0 {
		return true
	}
	for _, s := range services {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}
