package supervisor

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/joinprotocol"
	"github.com/shoal-dev/shoal/internal/nodeclaim"
	"github.com/shoal-dev/shoal/internal/pki"
	"github.com/shoal-dev/shoal/internal/token"
)

// nodeCerts signs a node's public keys once its name is bound to its
// password and its IP to its name. A node renewing with its own
// certificate may only ask for itself; nobody but this server's own node
// may have this server's node name.
func (s *Supervisor) nodeCerts(w http.ResponseWriter, r *http.Request) {
	c, ok := s.agentCaller(w, r)
	if !ok {
		return
	}
	var req joinprotocol.NodeCertsRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		http.Error(w, "request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if err := validateNodeRequest(req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if c.node != "" && c.node != req.NodeName {
		http.Error(w, fmt.Sprintf("node %s may not ask for node %s's certificates", c.node, req.NodeName), http.StatusForbidden)
		return
	}
	if err := s.claim(r.Context(), req); err != nil {
		s.report("refused node certificates for %s from %s: %v", req.NodeName, r.RemoteAddr, err)
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	resp, err := s.signNode(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// claim binds the node's name and IP, refusing this server's own node
// name to any other password before the apiserver is even asked.
func (s *Supervisor) claim(ctx context.Context, req joinprotocol.NodeCertsRequest) error {
	if s.cfg.LocalNode != "" && req.NodeName == s.cfg.LocalNode && !token.Equal(nodeclaim.Hash(req.NodePassword), s.cfg.LocalNodeHash) {
		return fmt.Errorf("node name %s is this server's own node; pick another --node-name", req.NodeName)
	}
	return nodeclaim.Claim(ctx, s.cfg.Client, req.NodeName, req.NodeIP, req.NodePassword)
}

func validateNodeRequest(req joinprotocol.NodeCertsRequest) error {
	if errs := validation.IsDNS1123Subdomain(req.NodeName); len(errs) > 0 {
		return fmt.Errorf("nodeName %q: %s", req.NodeName, errs[0])
	}
	if ip := net.ParseIP(req.NodeIP); ip == nil || ip.To4() == nil || ip.IsLoopback() || ip.IsUnspecified() {
		return fmt.Errorf("nodeIP %q: not a routable IPv4 address", req.NodeIP)
	}
	if len(req.NodePassword) < 16 {
		return fmt.Errorf("nodePassword: too short")
	}
	return nil
}

// signNode signs every requested public key with the CA its leaf needs;
// the names in each leaf are the claimed ones.
func (s *Supervisor) signNode(req joinprotocol.NodeCertsRequest) (*joinprotocol.NodeCertsResponse, error) {
	signers, err := s.cfg.Certs.NodeSigners()
	if err != nil {
		return nil, err
	}
	serverCA, err := os.ReadFile(s.cfg.Certs.ServerCA.Cert)
	if err != nil {
		return nil, err
	}
	out := &joinprotocol.NodeCertsResponse{Certs: map[certs.NodeCert]string{}, ServerCA: string(serverCA),
		ClientCA:         string(pki.EncodeCert(signers[certs.ByClientCA].Cert)),
		KubeletServingCA: string(pki.EncodeCert(signers[certs.ByKubeletServingCA].Cert))}
	for _, kind := range certs.NodeCerts {
		pemKey, ok := req.PublicKeys[kind]
		if !ok {
			continue
		}
		block, _ := pem.Decode([]byte(pemKey))
		if block == nil {
			return nil, fmt.Errorf("publicKeys[%s]: no PEM block", kind)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("publicKeys[%s]: %w", kind, err)
		}
		leaf, by := certs.NodeLeaf(kind, req.NodeName, req.NodeIP)
		chain, err := pki.Sign(signers[by], leaf, pub, s.now())
		if err != nil {
			return nil, err
		}
		out.Certs[kind] = string(chain)
	}
	return out, nil
}
