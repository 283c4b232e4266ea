package nodeclaim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/shoal-dev/shoal/internal/token"
)

// Label marks the claim Secrets (kube-system); its value is "true".
const Label = "shoal.dev/node-password"

// secretType is the claims' Secret type.
const secretType = "shoal.dev/node-password"

// The claim Secret's data keys.
const (
	keyHash = "hash" // hex sha256 of the node password
	keyIP   = "ip"   // the node IP the server bound to the name
)

// SecretName names the Secret (in kube-system) that holds node's claim.
func SecretName(node string) string { return node + secretSuffix }

const secretSuffix = ".node-password.shoal"

// NodeOf is the node a claim Secret is about, and the IP bound to it.
func NodeOf(s *corev1.Secret) (node, ip string, ok bool) {
	if s.Labels[Label] != "true" || s.Namespace != metav1.NamespaceSystem {
		return "", "", false
	}
	node, ok = strings.CutSuffix(s.Name, secretSuffix)
	if !ok || node == "" {
		return "", "", false
	}
	return node, string(s.Data[keyIP]), true
}

// RefusedError is a claim the rules refuse (a name or IP held by another
// node), as opposed to an apiserver error.
type RefusedError struct{ Msg string }

func (e *RefusedError) Error() string { return e.Msg }

// Hash is what a claim keeps of a password.
func Hash(password string) string {
	sum := sha256.Sum256([]byte(password))
	return hex.EncodeToString(sum[:])
}

// Claim binds name to the password's hash the first time, and afterwards
// admits only the same password (as K3s's <node>.node-password.k3s
// Secrets do). It binds ip to the name unless another node holds it; a
// node whose address changed moves its binding with the same password.
func Claim(ctx context.Context, c kubernetes.Interface, name, ip, password string) error {
	hash := Hash(password)
	secrets := c.CoreV1().Secrets(metav1.NamespaceSystem)
	cur, err := secrets.Get(ctx, SecretName(name), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if err := ipFree(ctx, c, name, ip); err != nil {
			return err
		}
		_, err = secrets.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: SecretName(name), Labels: map[string]string{Label: "true"}},
			Type:       secretType,
			Data:       map[string][]byte{keyHash: []byte(hash), keyIP: []byte(ip)},
		}, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) { // lost a race with another agent
			return Claim(ctx, c, name, ip, password)
		}
		return err
	}
	if err != nil {
		return err
	}
	if !token.Equal(string(cur.Data[keyHash]), hash) {
		return &RefusedError{fmt.Sprintf("node name %s is already claimed by another agent (node password mismatch); pick another --node-name, or delete the Secret kube-system/%s if that node is gone", name, SecretName(name))}
	}
	if string(cur.Data[keyIP]) == ip {
		return nil
	}
	if err := ipFree(ctx, c, name, ip); err != nil {
		return err
	}
	cur.Data[keyIP] = []byte(ip)
	_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{})
	return err
}

// ipFree refuses ip when another node's claim holds it: the apiserver
// reaches a kubelet by its IP, and the server routes that IP to the one
// node bound to it.
func ipFree(ctx context.Context, c kubernetes.Interface, name, ip string) error {
	list, err := c.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{LabelSelector: Label + "=true"})
	if err != nil {
		return err
	}
	for i := range list.Items {
		if other, otherIP, ok := NodeOf(&list.Items[i]); ok && other != name && otherIP == ip {
			return &RefusedError{fmt.Sprintf("node IP %s is already bound to node %s; give this node its own --node-ip, or delete node %s if it is gone", ip, other, other)}
		}
	}
	return nil
}

// Release drops node's claim, so that its name and IP may be claimed again.
func Release(ctx context.Context, c kubernetes.Interface, node string) error {
	return c.CoreV1().Secrets(metav1.NamespaceSystem).Delete(ctx, SecretName(node), metav1.DeleteOptions{})
}
