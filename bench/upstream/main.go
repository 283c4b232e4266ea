// Command upstream writes the credentials of bench/upstream.sh's
// reference cluster — upstream Kubernetes run as separate processes, as a
// kubeadm-like install would: one CA, the apiserver's serving
// certificate, a client certificate and kubeconfig per component, the
// kubelet's serving certificate, the service-account key. It reuses
// shoal's own pki package, so both clusters have the same key types.
//
//	go run ./bench/upstream -dir DIR -ip 10.95.0.2 -node NAME
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/shoal-dev/shoal/internal/kubeconfig"
	"github.com/shoal-dev/shoal/internal/pki"
)

func main() {
	dir := flag.String("dir", "", "where to write")
	ip := flag.String("ip", "", "the node's and apiserver's address")
	node := flag.String("node", "", "the node's name")
	flag.Parse()
	if err := write(*dir, net.ParseIP(*ip), *node); err != nil {
		fmt.Fprintln(os.Stderr, "upstream:", err)
		os.Exit(1)
	}
}

func write(dir string, ip net.IP, node string) error {
	if dir == "" || ip == nil || node == "" {
		return fmt.Errorf("-dir, -ip and -node are required")
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	ca, err := pki.LoadOrCreateCA(p("ca.crt"), p("ca.key"), "reference-ca")
	if err != nil {
		return err
	}
	if _, err := pki.LoadOrCreateKey(p("sa.key")); err != nil {
		return err
	}
	now := time.Now()
	leaves := map[string]pki.Leaf{
		"apiserver": {CommonName: "kube-apiserver", Server: true, IPs: []net.IP{ip, net.ParseIP("127.0.0.1"), net.ParseIP("10.43.0.1")},
			DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}},
		"apiserver-kubelet-client": {CommonName: "kube-apiserver-kubelet-client", Organization: []string{"system:masters"}, Client: true},
		"kubelet-serving":          {CommonName: node, DNSNames: []string{node}, IPs: []net.IP{ip}, Server: true},
		"admin":                    {CommonName: "admin", Organization: []string{"system:masters"}, Client: true},
		"controller-manager":       {CommonName: "system:kube-controller-manager", Client: true},
		"scheduler":                {CommonName: "system:kube-scheduler", Client: true},
		"kubelet":                  {CommonName: "system:node:" + node, Organization: []string{"system:nodes"}, Client: true},
		"kube-proxy":               {CommonName: "system:kube-proxy", Client: true},
	}
	for name, leaf := range leaves {
		if _, err := pki.EnsureLeaf(ca, leaf, p(name+".crt"), p(name+".key"), now); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	for _, name := range []string{"admin", "controller-manager", "scheduler", "kubelet", "kube-proxy"} {
		kc := kubeconfig.Client{Server: "https://" + net.JoinHostPort(ip.String(), "6443"), CAFile: p("ca.crt"),
			CertFile: p(name + ".crt"), KeyFile: p(name + ".key")}
		if err := kubeconfig.Write(p(name+".kubeconfig"), kc, false, 0o600); err != nil {
			return err
		}
	}
	return nil
}
