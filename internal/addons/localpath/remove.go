package localpath

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// volumeDirName is the name of the directory of volume pv, bound to the
// claim namespace/claim.
func volumeDirName(pv, namespace, claim string) string {
	return strings.Join([]string{pv, namespace, claim}, "_")
}

// remove deletes a released volume's directory, when it is on this
// process's node, and then the PV. A volume on another node waits for
// that node's agent (multi-node comes with the join protocol). A hostPath
// that is not a directory this provisioner made inside its storage
// directory (a PV written by hand: /etc, ../, a symlink out) is refused: an
// Event and a log line name the PV and path, and files and PV stay.
func (c *Controller) remove(ctx context.Context, pv *corev1.PersistentVolume) error {
	if pv.Spec.HostPath == nil || nodeOf(pv) != c.localNode {
		return nil
	}
	dir, err := volumeDir(c.storageDir, pv)
	if err != nil {
		c.refuse(ctx, pv, err)
		return nil
	}
	delete(c.refused, pv.UID)
	if dir != "" {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	err = c.client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// volumeDir is the directory to remove for pv ("" when there is none on
// disk): its hostPath cleaned, with its parent's symlinks resolved. It must
// be named as the provisioner names pv's directory and lie strictly inside
// storageDir (resolved too), and be a directory, not a symlink.
func volumeDir(storageDir string, pv *corev1.PersistentVolume) (string, error) {
	path := pv.Spec.HostPath.Path
	if storageDir == "" {
		return "", errors.New("no storage directory configured")
	}
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("hostPath %q is not absolute", path)
	}
	clean := filepath.Clean(path)
	ref := pv.Spec.ClaimRef
	if ref == nil || !strings.HasPrefix(pv.Name, "pvc-") || filepath.Base(clean) != volumeDirName(pv.Name, ref.Namespace, ref.Name) {
		return "", fmt.Errorf("hostPath %q is not named as this provisioner names the directory of PV %s", path, pv.Name)
	}
	root, err := filepath.Abs(storageDir)
	if err != nil {
		return "", fmt.Errorf("storage directory %s: %w", storageDir, err)
	}
	parent, err := filepath.EvalSymlinks(filepath.Dir(clean))
	if errors.Is(err, fs.ErrNotExist) {
		// Nothing on disk; the PV may go if its path is ours.
		if !within(root, filepath.Dir(clean)) {
			return "", fmt.Errorf("hostPath %q is outside the storage directory %s", path, storageDir)
		}
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("hostPath %q: %w", path, err)
	}
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return "", fmt.Errorf("storage directory %s: %w", storageDir, err)
	}
	if !within(root, parent) {
		return "", fmt.Errorf("hostPath %q resolves to %s, outside the storage directory %s", path, parent, storageDir)
	}
	dir := filepath.Join(parent, filepath.Base(clean))
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("hostPath %q: %w", path, err)
	case !fi.IsDir():
		return "", fmt.Errorf("hostPath %q is not a directory (%s)", path, fi.Mode().Type())
	}
	return dir, nil
}

// within reports whether path is dir or lies under it; both are clean and
// absolute.
func within(dir, path string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, string(filepath.Separator))+string(filepath.Separator))
}

// refuse reports, once per PV and reason, that its directory is not
// removed: a log line and a Warning Event on the PV.
func (c *Controller) refuse(ctx context.Context, pv *corev1.PersistentVolume, why error) {
	msg := fmt.Sprintf("not deleting the files of released volume %s: %v; files and PV left in place", pv.Name, why)
	if c.refused[pv.UID] == msg {
		return
	}
	c.refused[pv.UID] = msg
	klog.ErrorS(nil, "local-path: refused to delete volume directory", "pv", pv.Name, "path", pv.Spec.HostPath.Path, "reason", why.Error())
	now := metav1.Now()
	ev := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{GenerateName: pv.Name + ".", Namespace: metav1.NamespaceDefault},
		InvolvedObject: corev1.ObjectReference{Kind: "PersistentVolume", APIVersion: "v1", Name: pv.Name,
			UID: pv.UID, ResourceVersion: pv.ResourceVersion},
		Reason: "VolumeDeleteRefused", Message: msg, Type: corev1.EventTypeWarning,
		Source:         corev1.EventSource{Component: "shoal-local-path"},
		FirstTimestamp: now, LastTimestamp: now, Count: 1,
	}
	if _, err := c.client.CoreV1().Events(ev.Namespace).Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		klog.ErrorS(err, "local-path: event", "pv", pv.Name)
	}
}
