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

// EnsureNode issues (or reuses) a node's certificates under tlsDir,
// signing them with the server's CAs. This is the path of an agent that
// shares the server's data dir; a remote agent gets the same files from
// the join protocol.
func EnsureNode(server *Server, tlsDir, nodeName, nodeIP string, now time.Time) (*Node, int, error) {
	serverCA, err := pki.LoadOrCreateCA(server.ServerCA.Cert, server.ServerCA.Key, "shoal-server-ca")
	if err != nil {
		return nil, 0, err
	}
	clientCA, err := pki.LoadOrCreateCA(server.ClientCA.Cert, server.ClientCA.Key, "shoal-client-ca")
	if err != nil {
		return nil, 0, err
	}
	pair := func(n string) Pair { return Pair{filepath.Join(tlsDir, n+".crt"), filepath.Join(tlsDir, n+".key")} }
	n := &Node{
		ServerCA:       server.ServerCA.Cert,
		ClientCA:       server.ClientCA.Cert,
		KubeletClient:  pair("client-kubelet"),
		KubeletServing: pair("serving-kubelet"),
		KubeProxy:      pair("client-kube-proxy"),
		Flannel:        pair("client-flannel"),
	}
	ips := []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(nodeIP)}
	leaves := []leaf{
		{clientCA, pki.Leaf{CommonName: "system:node:" + nodeName, Organization: []string{"system:nodes"}, Client: true}, n.KubeletClient},
		{serverCA, pki.Leaf{CommonName: nodeName, DNSNames: []string{nodeName, "localhost"}, IPs: ips, Server: true}, n.KubeletServing},
		{clientCA, pki.Leaf{CommonName: "system:kube-proxy", Client: true}, n.KubeProxy},
		{clientCA, pki.Leaf{CommonName: "system:shoal-flannel", Client: true}, n.Flannel},
	}
	issued, err := ensureLeaves(leaves, now)
	if err != nil {
		return nil, 0, err
	}
	return n, issued, nil
}
