package certs

import (
	"net"
	"path/filepath"
	"time"

	"github.com/shoal-dev/shoal/internal/pki"
)

// Node is the set of files one node (agent) uses. Flannel runs with the
// kubelet's identity (system:node:NAME): a node may write only its own
// Node object, so no node credential reaches another node's.
type Node struct {
	ServerCA         string // to trust the apiserver
	ClientCA         string // kubelet authenticates the apiserver's client cert with it
	KubeletServingCA string // what signed KubeletServing (never trusted for the apiserver)
	KubeletClient    Pair   // kubelet → apiserver, system:node:NAME in system:nodes
	KubeletServing   Pair   // kubelet's :10250, for the node name and IP
	KubeProxy        Pair   // kube-proxy → apiserver, system:kube-proxy
}

// NodeCert names one of a node's certificates.
type NodeCert string

// A node's certificates, as the join protocol names them.
const (
	KubeletClientCert  NodeCert = "kubelet-client"
	KubeletServingCert NodeCert = "kubelet-serving"
	KubeProxyCert      NodeCert = "kube-proxy"
)

// NodeCerts are every certificate a node holds.
var NodeCerts = []NodeCert{KubeletClientCert, KubeletServingCert, KubeProxyCert}

// Signer names which of the server's CAs signs a node certificate.
type Signer int

const (
	ByClientCA         Signer = iota // client certificates the apiserver accepts
	ByKubeletServingCA               // kubelet serving: trusted only for kubelets
)

// NodeLeaf is what a node's certificate must say and which CA signs it.
// Every name in it is decided by the server: the node name bound to the
// node's password, the IP bound to that name (see supervisor's claims).
func NodeLeaf(kind NodeCert, nodeName, nodeIP string) (pki.Leaf, Signer) {
	switch kind {
	case KubeletClientCert:
		return pki.Leaf{CommonName: "system:node:" + nodeName, Organization: []string{"system:nodes"}, Client: true}, ByClientCA
	case KubeletServingCert:
		ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(nodeIP)}
		return pki.Leaf{CommonName: "system:node:" + nodeName, Organization: []string{"system:nodes"},
			DNSNames: []string{nodeName, "localhost"}, IPs: ips, Server: true}, ByKubeletServingCA
	default:
		return pki.Leaf{CommonName: "system:kube-proxy", Client: true}, ByClientCA
	}
}

// NodeFiles lays a node's certificates out under tlsDir; the CA files are
// the given paths.
func NodeFiles(tlsDir, serverCA, clientCA, kubeletServingCA string) *Node {
	pair := func(n string) Pair { return Pair{filepath.Join(tlsDir, n+".crt"), filepath.Join(tlsDir, n+".key")} }
	return &Node{
		ServerCA:         serverCA,
		ClientCA:         clientCA,
		KubeletServingCA: kubeletServingCA,
		KubeletClient:    pair("client-kubelet"),
		KubeletServing:   pair("serving-kubelet"),
		KubeProxy:        pair("client-kube-proxy"),
	}
}

// Pair is where one kind of certificate lives.
func (n *Node) Pair(kind NodeCert) Pair {
	switch kind {
	case KubeletClientCert:
		return n.KubeletClient
	case KubeletServingCert:
		return n.KubeletServing
	default:
		return n.KubeProxy
	}
}

// EnsureNode issues (or reuses) a node's certificates under tlsDir,
// signing them with the server's CAs. This is the path of an agent that
// shares the server's data dir (and of the server's own node); a remote
// agent gets the same certificates through the join protocol.
func EnsureNode(server *Server, tlsDir, nodeName, nodeIP string, now time.Time) (*Node, int, error) {
	signers, err := server.NodeSigners()
	if err != nil {
		return nil, 0, err
	}
	n := NodeFiles(tlsDir, server.ServerCA.Cert, server.ClientCA.Cert, server.KubeletServingCA.Cert)
	var leaves []leaf
	for _, kind := range NodeCerts {
		spec, by := NodeLeaf(kind, nodeName, nodeIP)
		leaves = append(leaves, leaf{signers[by], spec, n.Pair(kind)})
	}
	issued, err := ensureLeaves(leaves, now)
	if err != nil {
		return nil, 0, err
	}
	return n, issued, nil
}

// NodeSigners loads the CAs (with their keys) that sign node certificates.
func (s *Server) NodeSigners() (map[Signer]*pki.CA, error) {
	clientCA, err := pki.LoadOrCreateCA(s.ClientCA.Cert, s.ClientCA.Key, "shoal-client-ca")
	if err != nil {
		return nil, err
	}
	kubeletCA, err := pki.LoadOrCreateCA(s.KubeletServingCA.Cert, s.KubeletServingCA.Key, "shoal-kubelet-serving-ca")
	if err != nil {
		return nil, err
	}
	return map[Signer]*pki.CA{ByClientCA: clientCA, ByKubeletServingCA: kubeletCA}, nil
}
