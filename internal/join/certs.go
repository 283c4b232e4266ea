package join

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"time"

	"github.com/shoal-dev/shoal/internal/atomicfile"
	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/joinprotocol"
	"github.com/shoal-dev/shoal/internal/nodeclaim"
	"github.com/shoal-dev/shoal/internal/pki"
)

// ensureCerts asks the server to sign every certificate that is missing,
// no longer matches the node (name, IP, CA) or is close to expiry. The
// keys are made here and stay here.
func (c *client) ensureCerts(ctx context.Context, n *certs.Node) error {
	pw, err := nodeclaim.Password(c.o.EtcDir)
	if err != nil {
		return err
	}
	req := joinprotocol.NodeCertsRequest{NodeName: c.o.NodeName, NodeIP: c.o.NodeIP, NodePassword: pw,
		PublicKeys: map[certs.NodeCert]string{}}
	clientCA, _ := pki.LoadCert(n.ClientCA)
	servingCA, _ := pki.LoadCert(n.KubeletServingCA)
	signers := map[certs.Signer]*x509.Certificate{certs.ByClientCA: clientCA, certs.ByKubeletServingCA: servingCA}
	for _, kind := range certs.NodeCerts {
		pair := n.Pair(kind)
		key, err := pki.LoadOrCreateKey(pair.Key)
		if err != nil {
			return err
		}
		want, by := certs.NodeLeaf(kind, c.o.NodeName, c.o.NodeIP)
		if ca := signers[by]; ca != nil && pki.Good(ca, pair.Cert, want, key.Public(), time.Now()) {
			continue
		}
		der, err := x509.MarshalPKIXPublicKey(key.Public())
		if err != nil {
			return err
		}
		req.PublicKeys[kind] = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}
	// The node password is checked even when every certificate is still
	// good: a second agent must not run under a claimed name.
	var resp joinprotocol.NodeCertsResponse
	if err := c.do(ctx, http.MethodPost, joinprotocol.PathNodeCerts, req, &resp); err != nil {
		return err
	}
	if err := atomicfile.Write(n.ClientCA, []byte(resp.ClientCA), 0o644); err != nil {
		return err
	}
	if resp.KubeletServingCA != "" {
		if err := atomicfile.Write(n.KubeletServingCA, []byte(resp.KubeletServingCA), 0o644); err != nil {
			return err
		}
	}
	for kind, chain := range resp.Certs {
		if _, ok := req.PublicKeys[kind]; !ok {
			return fmt.Errorf("server sent an unrequested %s certificate", kind)
		}
		if err := atomicfile.Write(n.Pair(kind).Cert, []byte(chain), 0o644); err != nil {
			return err
		}
	}
	return nil
}
