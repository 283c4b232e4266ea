package upgrade

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"

	"github.com/shoal-dev/shoal/internal/joinprotocol"
)

// Fetch writes the file named (from the servers' upgrades directory) to w.
type Fetch func(ctx context.Context, file string, w io.Writer) error

// FromServer fetches from a server's supervisor at base (https://HOST:PORT)
// through rt, which carries the node's client certificate.
func FromServer(base string, rt http.RoundTripper) Fetch {
	client := &http.Client{Transport: rt}
	return func(ctx context.Context, file string, w io.Writer) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+joinprotocol.PathUpgrades+url.PathEscape(file), nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s%s: %s", joinprotocol.PathUpgrades, file, resp.Status)
		}
		_, err = io.Copy(w, resp.Body)
		return err
	}
}

// FromDir fetches binaries from a directory (a server's own node).
func FromDir(dir string) Fetch {
	return func(_ context.Context, file string, w io.Writer) error {
		f, err := os.Open(filepath.Join(dir, filepath.Base(file)))
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	}
}
