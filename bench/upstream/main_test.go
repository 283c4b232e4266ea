package main

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
)

// The reference cluster's credentials: the apiserver certificate names
// the address its clients dial and the Service IP pods use; each
// component's kubeconfig loads and names its own certificate; the
// kubelet's identity is the Node authorizer's.
func TestWriteCredentials(t *testing.T) {
	dir := t.TempDir()
	if err := write(dir, net.ParseIP("10.93.0.2"), "ref-node"); err != nil {
		t.Fatal(err)
	}
	cert := func(name string) *x509.Certificate {
		raw, err := os.ReadFile(filepath.Join(dir, name+".crt"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := pem.Decode(raw)
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ips := map[string]bool{}
	for _, ip := range cert("apiserver").IPAddresses {
		ips[ip.String()] = true
	}
	if !ips["10.93.0.2"] || !ips["10.43.0.1"] {
		t.Errorf("apiserver SANs %v", cert("apiserver").IPAddresses)
	}
	if k := cert("kubelet"); k.Subject.CommonName != "system:node:ref-node" || k.Subject.Organization[0] != "system:nodes" {
		t.Errorf("kubelet identity %v", k.Subject)
	}
	for _, name := range []string{"admin", "controller-manager", "scheduler", "kubelet", "kube-proxy"} {
		cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, name+".kubeconfig"))
		if err != nil || cfg.Host != "https://10.93.0.2:6443" || cfg.CertFile != filepath.Join(dir, name+".crt") {
			t.Errorf("%s kubeconfig: %+v %v", name, cfg, err)
		}
	}
	if err := write(dir, nil, "x"); err == nil {
		t.Error("no -ip accepted")
	}
}
