package nodeclaim

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Only a labelled claim Secret in kube-system names a node: an object
// anyone could make elsewhere must not steer egress routing.
func TestNodeOf(t *testing.T) {
	claim := func(ns, name string, labelled bool) *corev1.Secret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{keyIP: []byte("10.0.0.5")}}
		if labelled {
			s.Labels = map[string]string{Label: "true"}
		}
		return s
	}
	for _, tc := range []struct {
		name     string
		s        *corev1.Secret
		wantNode string
	}{
		{"a claim", claim("kube-system", SecretName("edge-1"), true), "edge-1"},
		{"another namespace", claim("default", SecretName("edge-1"), true), ""},
		{"unlabelled", claim("kube-system", SecretName("edge-1"), false), ""},
		{"other name", claim("kube-system", "edge-1", true), ""},
		{"only the suffix", claim("kube-system", ".node-password.shoal", true), ""},
	} {
		node, ip, ok := NodeOf(tc.s)
		if node != tc.wantNode || ok != (tc.wantNode != "") || (ok && ip != "10.0.0.5") {
			t.Errorf("%s: %q %q %v, want %q", tc.name, node, ip, ok, tc.wantNode)
		}
	}
}

func TestPasswordKept(t *testing.T) {
	dir := t.TempDir()
	a, err := Password(dir)
	if err != nil || len(a) < 16 {
		t.Fatalf("%q %v", a, err)
	}
	if b, _ := Password(dir); b != a {
		t.Errorf("a second start made a new password")
	}
	if Hash(a) == Hash(a+"x") || len(Hash(a)) != 64 {
		t.Errorf("hash")
	}
}
