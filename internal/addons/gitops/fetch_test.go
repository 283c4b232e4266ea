package gitops

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	cryptossh "golang.org/x/crypto/ssh"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAuthFrom: a basic-auth Secret gives https credentials, an ssh one
// a key (checked against known_hosts when given), a bad key a clear error.
func TestAuthFrom(t *testing.T) {
	basic, err := authFrom(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"},
		Data: map[string][]byte{"username": []byte("fleet"), "password": []byte("s3cret")}})
	if b, ok := basic.(*githttp.BasicAuth); err != nil || !ok || b.Username != "fleet" || b.Password != "s3cret" {
		t.Fatalf("basic auth: %#v %v", basic, err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := cryptossh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := cryptossh.NewSignerFromKey(priv)
	knownHosts := "git.example " + string(cryptossh.MarshalAuthorizedKey(signer.PublicKey()))
	key, err := authFrom(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "deploy-key"},
		Data: map[string][]byte{"ssh-privatekey": pem.EncodeToMemory(block), "known_hosts": []byte(knownHosts)}})
	if _, ok := key.(*gitssh.PublicKeys); err != nil || !ok {
		t.Fatalf("ssh key: %#v %v", key, err)
	}
	if _, err := authFrom(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "broken"},
		Data: map[string][]byte{"ssh-privatekey": []byte("not a key")}}); err == nil || !strings.Contains(err.Error(), "secret broken: ssh-privatekey") {
		t.Fatalf("bad key: %v", err)
	}
}
