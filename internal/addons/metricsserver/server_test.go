package metricsserver

import (
	"strings"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func testServer(ip string) *Server {
	return New(fake.NewClientset(), Files{Kubeconfig: "/d/ms.kubeconfig", ServingCert: "/d/s.crt",
		ServingKey: "/d/s.key", KubeletCA: "/d/kubelet-ca.crt"}, ip, "box", 0)
}

// Every flag shoal passes is one upstream's options accept, with the
// value shoal meant: a renamed flag upstream fails here, not at start.
func TestArgvParsesWithUpstreamFlags(t *testing.T) {
	s := testServer("10.0.0.5")
	cmd := command()
	if err := cmd.ParseFlags(s.Argv()); err != nil {
		t.Fatalf("upstream metrics-server refuses shoal's argv: %v\n%s", err, strings.Join(s.Argv(), " "))
	}
	for flag, want := range map[string]string{
		"bind-address":                  "10.0.0.5",
		"secure-port":                   "10251",
		"kubelet-certificate-authority": "/d/kubelet-ca.crt",
		"kubeconfig":                    "/d/ms.kubeconfig",
		"tls-cert-file":                 "/d/s.crt",
		"metric-resolution":             "15s",
	} {
		if got := cmd.Flags().Lookup(flag).Value.String(); got != want {
			t.Errorf("--%s = %q, want %q", flag, got, want)
		}
	}
	if f := cmd.Flags().Lookup("kubelet-insecure-tls"); f.Value.String() != "false" {
		t.Errorf("kubelets not verified: --kubelet-insecure-tls=%s", f.Value)
	}
}

func TestSliceNamesThisServer(t *testing.T) {
	for ip, family := range map[string]discoveryv1.AddressType{
		"10.0.0.5": discoveryv1.AddressTypeIPv4, "fd00::5": discoveryv1.AddressTypeIPv6} {
		sl := testServer(ip).slice()
		if sl.Name != "metrics-server-box" || sl.AddressType != family ||
			sl.Labels[discoveryv1.LabelServiceName] != "metrics-server" || sl.Labels[discoveryv1.LabelManagedBy] != "shoal" {
			t.Errorf("%s: slice %s %s %v", ip, sl.Name, sl.AddressType, sl.Labels)
		}
		ep := sl.Endpoints[0]
		if ep.Addresses[0] != ip || !*ep.Conditions.Ready || *sl.Ports[0].Name != "https" || *sl.Ports[0].Port != Port {
			t.Errorf("%s: endpoint %+v ports %+v", ip, ep, sl.Ports)
		}
	}
}
