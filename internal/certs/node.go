package certs

import (
	"net"
	"path/filepath"
	"time"

	"github.com/shoal-dev/shoal/internal/pki"
)

// Node is the set of files one node (agent) uses.
type Node struct {
	ServerCA       string // to trust the apiserver
	ClientCA       string // kubelet authenticates the apiserver's client cert with it
	KubeletClient  Pair   // kubelet → apiserver, system:node:NAME in system:nodes
	KubeletServing Pair   // kubelet's :10250, for the node name and IP
	KubeProxy      Pair   // kube-proxy → apiserver, system:kube-proxy
	Flannel        Pair   // flannel → apiserver, system:shoal-flannel
}

// NodeCert names one of a node's certificates.
type NodeCert string

// A node's certificates, as the join protocol names them.
const (
	KubeletClientCert  NodeCert = "kubelet-client"
	KubeletServingCert NodeCert = "kubelet-serving"
	KubeProxyCert      NodeCert = "kube-proxy"
	FlannelCert        NodeCert = "flannel"
)

// NodeCerts are every certificate a node holds.
var NodeCerts = []NodeCert{KubeletClientCert, KubeletServingCert, KubeProxyCert, FlannelCert}

// NodeLeaf is what a node's certificate must say; byServerCA tells whether
// the server CA (serving) or the client CA signs it.
func NodeLeaf(kind NodeCert, nodeName, nodeIP string) (l pki.Leaf, byServerCA bool) {
	switch kind {
	case KubeletClientCert:
		return pki.Leaf{CommonName: "system:node:" + nodeName, Organization: []string{"system:nodes"}, Client: true}, false
	case KubeletServingCert:
		ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(nodeIP)}
		return pki.Leaf{CommonName: nodeName, DNSNames: []string{nodeName, "localhost"}, IPs: ips, Server: true}, true
	case KubeProxyCert:
		return pki.Leaf{CommonName: "system:kube-proxy", Client: true}, false
	default:
		return pki.Leaf{CommonName: "system:shoal-flannel", Client: true}, false
	}
}

// NodeFiles lays a node's certificates out under tlsDir; the CA files are
// the given paths.
func NodeFiles(tlsDir, serverCA, clientCA string) *Node {
	pair := func(n string) Pair { return Pair{filepath.Join(tlsDir, n+".crt"), filepath.Join(tlsDir, n+".key")} }
	return &Node{
		ServerCA:       serverCA,
		ClientCA:       clientCA,
		KubeletClient:  pair("client-kubelet"),
		KubeletServing: pair("serving-kubelet"),
		KubeProxy:      pair("client-kube-proxy"),
		Flannel:        pair("client-flannel"),
	}
}

// Pair is where one kind of certificate lives.
func (n *Node) Pair(kind NodeCert) Pair {
	switch kind {
	case KubeletClientCert:
		return n.KubeletClient
	case KubeletServingCert:
		return n.KubeletServing
	case KubeProxyCert:
		return n.KubeProxy
	default:
		return n.Flannel
	}
}

// EnsureNode issues (or reuses) a node's certificates under tlsDir,
// signing them with the server's CAs. This is the path of an agent that
// shares the server's data dir (and of the server's own node); a remote
// agent gets the same certificates through the join protocol.
func EnsureNode(server *Server, tlsDir, nodeName, nodeIP string, now time.Time) (*Node, int, error) {
	serverCA, clientCA, err := server.CAs()
	if err != nil {
		return nil, 0, err
	}
	n := NodeFiles(tlsDir, server.ServerCA.Cert, server.ClientCA.Cert)
	var leaves []leaf
	for _, kind := range NodeCerts {
		spec, byServer := NodeLeaf(kind, nodeName, nodeIP)
		ca := clientCA
		if byServer {
			ca = serverCA
		}
		leaves = append(leaves, leaf{ca, spec, n.Pair(kind)})
	}
	issued, err := ensureLeaves(leaves, now)
	if err != nil {
		return nil, 0, err
	}
	return n, issued, nil
}

// CAs loads the server and client CAs (with their keys).
func (s *Server) CAs() (serverCA, clientCA *pki.CA, err error) {
	if serverCA, err = pki.LoadOrCreateCA(s.ServerCA.Cert, s.ServerCA.Key, "shoal-server-ca"); err != nil {
		return nil, nil, err
	}
	if clientCA, err = pki.LoadOrCreateCA(s.ClientCA.Cert, s.ClientCA.Key, "shoal-client-ca"); err != nil {
		return nil, nil, err
	}
	return serverCA, clientCA, nil
}
