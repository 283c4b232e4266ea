package supervisor

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/shoal-dev/shoal/internal/certs"
	"github.com/shoal-dev/shoal/internal/pki"
	"github.com/shoal-dev/shoal/internal/token"
)

// nodeCerts signs a node's public keys once its name is bound to its
// password. A node renewing with its own certificate may only ask for
// itself.
func (s *Supervisor) nodeCerts(w http.ResponseWriter, r *http.Request) {
	c, ok := s.agentCaller(w, r)
	if !ok {
		return
	}
	var req NodeCertsRequest
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
	if err := s.claimNodeName(r.Context(), req.NodeName, req.NodePassword); err != nil {
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

func validateNodeRequest(req NodeCertsRequest) error {
	if errs := validation.IsDNS1123Subdomain(req.NodeName); len(errs) > 0 {
		return fmt.Errorf("nodeName %q: %s", req.NodeName, errs[0])
	}
	if ip := net.ParseIP(req.NodeIP); ip == nil || ip.To4() == nil {
		return fmt.Errorf("nodeIP %q: not an IPv4 address", req.NodeIP)
	}
	if len(req.NodePassword) < 16 {
		return fmt.Errorf("nodePassword: too short")
	}
	return nil
}

// signNode signs every requested public key with the CA its leaf needs.
func (s *Supervisor) signNode(req NodeCertsRequest) (*NodeCertsResponse, error) {
	serverCA, clientCA, err := s.cfg.Certs.CAs()
	if err != nil {
		return nil, err
	}
	out := &NodeCertsResponse{Certs: map[certs.NodeCert]string{},
		ServerCA: string(pki.EncodeCert(serverCA.Cert)), ClientCA: string(pki.EncodeCert(clientCA.Cert))}
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
		leaf, byServer := certs.NodeLeaf(kind, req.NodeName, req.NodeIP)
		ca := clientCA
		if byServer {
			ca = serverCA
		}
		chain, err := pki.Sign(ca, leaf, pub, s.now())
		if err != nil {
			return nil, err
		}
		out.Certs[kind] = string(chain)
	}
	return out, nil
}

// claimNodeName binds name to the hash of password in a Secret the first
// time, and afterwards admits only the same password (as K3s's
// <node>.node-password.k3s Secrets do).
func (s *Supervisor) claimNodeName(ctx context.Context, name, password string) error {
	sum := sha256.Sum256([]byte(password))
	hash := hex.EncodeToString(sum[:])
	secrets := s.cfg.Client.CoreV1().Secrets(metav1.NamespaceSystem)
	secretName := nodePasswordSecret(name)
	cur, err := secrets.Get(ctx, secretName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = secrets.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: secretName, Labels: map[string]string{"shoal.dev/node-password": "true"}},
			Type:       "shoal.dev/node-password",
			Data:       map[string][]byte{"hash": []byte(hash)},
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) { // lost a race with another agent
			return s.claimNodeName(ctx, name, password)
		}
		return err
	}
	if err != nil {
		return err
	}
	if !token.Equal(string(cur.Data["hash"]), hash) {
		return fmt.Errorf("node name %s is already claimed by another agent (node password mismatch); pick another --node-name, or delete the Secret kube-system/%s if that node is gone", name, secretName)
	}
	return nil
}

// nodePasswordSecret names the Secret (in kube-system) that binds a node
// name to its agent's password.
func nodePasswordSecret(node string) string { return node + ".node-password.shoal" }
