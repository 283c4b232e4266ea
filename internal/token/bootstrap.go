package token

import (
	"context"
	"fmt"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	bootstrapapi "k8s.io/cluster-bootstrap/token/api"
)

// Bootstrap tokens are upstream's bootstrap-token Secrets in kube-system,
// so kube-controller-manager's tokencleaner deletes expired ones and
// `kubectl get secrets` shows them; shoal only reads them to admit agents.

// Info describes one bootstrap token (never its secret).
type Info struct {
	ID          string
	Description string
	Expires     time.Time // zero: never
	Created     time.Time
}

// CreateBootstrap stores a new bootstrap token and returns its credential.
func CreateBootstrap(ctx context.Context, c kubernetes.Interface, ttl time.Duration, description string, now time.Time) (string, error) {
	id, secret := NewBootstrap()
	data := map[string]string{
		bootstrapapi.BootstrapTokenIDKey:               id,
		bootstrapapi.BootstrapTokenSecretKey:           secret,
		bootstrapapi.BootstrapTokenUsageAuthentication: "true",
		bootstrapapi.BootstrapTokenDescriptionKey:      description,
	}
	if ttl > 0 {
		data[bootstrapapi.BootstrapTokenExpirationKey] = now.Add(ttl).UTC().Format(time.RFC3339)
	}
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: bootstrapapi.BootstrapTokenSecretPrefix + id, Namespace: metav1.NamespaceSystem},
		Type:       bootstrapapi.SecretTypeBootstrapToken,
		StringData: data,
	}
	if _, err := c.CoreV1().Secrets(metav1.NamespaceSystem).Create(ctx, s, metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("create bootstrap token: %w", err)
	}
	return id + "." + secret, nil
}

// ListBootstrap returns the bootstrap tokens, oldest first.
func ListBootstrap(ctx context.Context, c kubernetes.Interface) ([]Info, error) {
	list, err := c.CoreV1().Secrets(metav1.NamespaceSystem).List(ctx, metav1.ListOptions{
		FieldSelector: "type=" + string(bootstrapapi.SecretTypeBootstrapToken)})
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, s := range list.Items {
		info := Info{ID: string(s.Data[bootstrapapi.BootstrapTokenIDKey]),
			Description: string(s.Data[bootstrapapi.BootstrapTokenDescriptionKey]), Created: s.CreationTimestamp.Time}
		if exp := string(s.Data[bootstrapapi.BootstrapTokenExpirationKey]); exp != "" {
			info.Expires, _ = time.Parse(time.RFC3339, exp)
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// DeleteBootstrap removes the token whose id (or full credential) is given.
func DeleteBootstrap(ctx context.Context, c kubernetes.Interface, idOrToken string) error {
	id := idOrToken
	if t, err := Parse(idOrToken); err == nil {
		if i, _, ok := t.Bootstrap(); ok {
			id = i
		}
	}
	err := c.CoreV1().Secrets(metav1.NamespaceSystem).Delete(ctx, bootstrapapi.BootstrapTokenSecretPrefix+id, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("bootstrap token %q: not found", id)
	}
	return err
}

// CheckBootstrap admits a bootstrap credential: the Secret exists, the
// secret matches, it may authenticate, and it has not expired.
func CheckBootstrap(ctx context.Context, c kubernetes.Interface, id, secret string, now time.Time) error {
	s, err := c.CoreV1().Secrets(metav1.NamespaceSystem).Get(ctx, bootstrapapi.BootstrapTokenSecretPrefix+id, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("bootstrap token %s: unknown (expired and cleaned up, deleted, or never created)", id)
	}
	if err != nil {
		return fmt.Errorf("bootstrap token %s: %w", id, err)
	}
	if s.Type != bootstrapapi.SecretTypeBootstrapToken || !Equal(string(s.Data[bootstrapapi.BootstrapTokenSecretKey]), secret) {
		return fmt.Errorf("bootstrap token %s: wrong secret", id)
	}
	if string(s.Data[bootstrapapi.BootstrapTokenUsageAuthentication]) != "true" {
		return fmt.Errorf("bootstrap token %s: not usable for authentication", id)
	}
	if exp := string(s.Data[bootstrapapi.BootstrapTokenExpirationKey]); exp != "" {
		t, err := time.Parse(time.RFC3339, exp)
		if err != nil || !now.Before(t) {
			return fmt.Errorf("bootstrap token %s: expired at %s", id, exp)
		}
	}
	return nil
}
