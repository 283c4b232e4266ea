package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/shoal-dev/shoal/internal/supervisor"
	"github.com/shoal-dev/shoal/internal/upgrade"
)

// fromServer fetches upgrade binaries from the servers' supervisor through
// the node's load balancer, with the node's client certificate.
func fromServer(tlsCfg *tls.Config) upgrade.Fetch {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}
	return func(ctx context.Context, file string, w io.Writer) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
			"https://"+LoadBalancerAddr+supervisor.PathUpgrades+url.PathEscape(file), nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s%s: %s", supervisor.PathUpgrades, file, resp.Status)
		}
		_, err = io.Copy(w, resp.Body)
		return err
	}
}
