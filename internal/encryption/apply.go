package encryption

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
)

// appliedMetric is kube-apiserver's record of the configuration it uses,
// labelled with the SHA-256 of the file's bytes.
const appliedMetric = "apiserver_encryption_config_controller_last_config_info"

// WaitApplied waits until kube-apiserver reports the file at path (as it
// is now) as its configuration. shoal makes it poll the file every 2 s.
func WaitApplied(ctx context.Context, client kubernetes.Interface, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	want := fmt.Sprintf(`hash="sha256:%x"`, sha256.Sum256(b))
	var last string
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		raw, merr := client.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
		if merr != nil {
			last = merr.Error()
			return false, nil
		}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, appliedMetric+"{") {
				last = line
				if strings.Contains(line, want) {
					return true, nil
				}
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("kube-apiserver has not applied %s (last seen: %s): %w", path, last, err)
	}
	return nil
}

// Reencrypt rewrites every Secret so kube-apiserver stores it with the
// provider and key now first; progress gets (done, total).
func Reencrypt(ctx context.Context, client kubernetes.Interface, progress func(done, total int)) error {
	list, err := client.CoreV1().Secrets(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	total := len(list.Items)
	for i, s := range list.Items {
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur, err := client.CoreV1().Secrets(s.Namespace).Get(ctx, s.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			_, err = client.CoreV1().Secrets(s.Namespace).Update(ctx, cur, metav1.UpdateOptions{})
			return err
		})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("re-encrypt secret %s/%s: %w", s.Namespace, s.Name, err)
		}
		if progress != nil && ((i+1)%50 == 0 || i+1 == total) {
			progress(i+1, total)
		}
	}
	return nil
}

// Open loads the configuration a running server uses, for a change; a
// server that never had encryption turned on gets an error saying so.
func Open(path string) (*Config, error) {
	c, err := Load(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("secrets encryption was never turned on here: start the server with --secrets-encryption")
	}
	return c, err
}

// Change saves c on a running single server, waits until kube-apiserver
// uses it and then, when reencrypt is set, rewrites every Secret with it.
// report receives a line per step.
func Change(ctx context.Context, client kubernetes.Interface, c *Config, reencrypt bool, report func(string, ...any)) error {
	if err := SingleServer(ctx, client); err != nil {
		return err
	}
	if err := c.Save(); err != nil {
		return err
	}
	if err := WaitApplied(ctx, client, c.path); err != nil {
		return err
	}
	report("kube-apiserver applied the new configuration")
	if !reencrypt {
		return nil
	}
	return Reencrypt(ctx, client, func(done, total int) { report("re-encrypted %d/%d secrets", done, total) })
}

// RotateKeys adds a new key first in c, re-encrypts every Secret with it,
// then drops the old keys: no Secret is ever left under a dropped key.
func RotateKeys(ctx context.Context, client kubernetes.Interface, c *Config, now time.Time, report func(string, ...any)) error {
	report("new key %s", c.Rotate(now))
	if err := Change(ctx, client, c, true, report); err != nil {
		return err
	}
	n := c.Prune()
	if err := Change(ctx, client, c, false, report); err != nil {
		return err
	}
	report("dropped %d old key(s)", n)
	return nil
}
