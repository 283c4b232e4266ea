package localpath

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

// releasedPV is a PV named name, bound to default/data, whose hostPath is path.
func releasedPV(name, path string) *corev1.PersistentVolume {
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "data", UID: "1"}}
	pv := Volume(pvc, "/unused", "node1", nil)
	pv.Name, pv.UID = name, "uid-1"
	pv.Spec.HostPath.Path = path
	pv.Status.Phase = corev1.VolumeReleased
	return pv
}

// mkVolume makes dir with a file in it.
func mkVolume(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "note"), []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestRemoveDeletesOnlyItsOwnDirectoriesInsideStorage(t *testing.T) {
	const vol = "pvc-1_default_data"
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, storage, outside string) (hostPath, victim string)
		removed bool // the victim directory and the PV are deleted
	}{
		{"inside is removed", func(t *testing.T, storage, _ string) (string, string) {
			mkVolume(t, filepath.Join(storage, vol))
			return filepath.Join(storage, vol), filepath.Join(storage, vol)
		}, true},
		{"dot-dot escape is refused", func(t *testing.T, storage, outside string) (string, string) {
			mkVolume(t, filepath.Join(outside, vol))
			return storage + "/../outside/" + vol, filepath.Join(outside, vol)
		}, false},
		{"absolute path elsewhere is refused", func(t *testing.T, _, outside string) (string, string) {
			mkVolume(t, filepath.Join(outside, vol))
			return filepath.Join(outside, vol), filepath.Join(outside, vol)
		}, false},
		{"path outside with another name is refused", func(t *testing.T, _, outside string) (string, string) {
			mkVolume(t, filepath.Join(outside, "etc"))
			return filepath.Join(outside, "etc"), filepath.Join(outside, "etc")
		}, false},
		{"symlinked parent escape is refused", func(t *testing.T, storage, outside string) (string, string) {
			mkVolume(t, filepath.Join(outside, vol))
			if err := os.Symlink(outside, filepath.Join(storage, "link")); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(storage, "link", vol), filepath.Join(outside, vol)
		}, false},
		{"symlink as the volume is refused", func(t *testing.T, storage, outside string) (string, string) {
			mkVolume(t, filepath.Join(outside, "target"))
			if err := os.Symlink(filepath.Join(outside, "target"), filepath.Join(storage, vol)); err != nil {
				t.Fatal(err)
			}
			return filepath.Join(storage, vol), filepath.Join(storage, vol)
		}, false},
		{"the storage dir itself is refused", func(t *testing.T, storage, _ string) (string, string) {
			mkVolume(t, filepath.Join(storage, "other"))
			return storage + "/", storage
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			storage, outside := filepath.Join(tmp, "storage"), filepath.Join(tmp, "outside")
			for _, d := range []string{storage, outside} {
				if err := os.Mkdir(d, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			hostPath, victim := tc.setup(t, storage, outside)
			pv := releasedPV("pvc-1", hostPath)
			client := fake.NewClientset(pv)
			c := New(client, "node1", storage)
			if err := c.remove(context.Background(), pv); err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Lstat(victim)
			_, getErr := client.CoreV1().PersistentVolumes().Get(context.Background(), pv.Name, metav1.GetOptions{})
			events, _ := client.CoreV1().Events("").List(context.Background(), metav1.ListOptions{})
			if tc.removed {
				if !os.IsNotExist(statErr) || getErr == nil || len(events.Items) != 0 {
					t.Fatalf("want %s and the PV deleted, no event: stat %v, get PV %v, events %v", victim, statErr, getErr, events.Items)
				}
				return
			}
			if statErr != nil || getErr != nil {
				t.Fatalf("want %s and the PV kept: stat %v, get PV %v", victim, statErr, getErr)
			}
			if len(events.Items) != 1 || events.Items[0].Reason != "VolumeDeleteRefused" ||
				!strings.Contains(events.Items[0].Message, pv.Name) || events.Items[0].InvolvedObject.Name != pv.Name {
				t.Fatalf("want one VolumeDeleteRefused event naming %s, got %+v", pv.Name, events.Items)
			}
			if err := c.remove(context.Background(), pv); err != nil {
				t.Fatal(err)
			}
			if again, _ := client.CoreV1().Events("").List(context.Background(), metav1.ListOptions{}); len(again.Items) != 1 {
				t.Fatalf("the refusal was reported %d times, want once", len(again.Items))
			}
		})
	}
}

func TestRemoveWithoutDirectoryOnDisk(t *testing.T) {
	storage := filepath.Join(t.TempDir(), "storage") // never created: no pod mounted a volume
	for _, tc := range []struct {
		path      string
		pvDeleted bool
	}{
		{filepath.Join(storage, "pvc-1_default_data"), true},
		{filepath.Join(filepath.Dir(storage), "elsewhere", "pvc-1_default_data"), false},
	} {
		pv := releasedPV("pvc-1", tc.path)
		client := fake.NewClientset(pv)
		if err := New(client, "node1", storage).remove(context.Background(), pv); err != nil {
			t.Fatal(err)
		}
		_, err := client.CoreV1().PersistentVolumes().Get(context.Background(), pv.Name, metav1.GetOptions{})
		if (err != nil) != tc.pvDeleted {
			t.Errorf("%s: PV deleted = %v, want %v", tc.path, err != nil, tc.pvDeleted)
		}
	}
}

func TestRemoveWithoutStorageDirRefuses(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pvc-1_default_data")
	mkVolume(t, dir)
	pv := releasedPV("pvc-1", dir)
	if err := New(fake.NewClientset(pv), "node1", "").remove(context.Background(), pv); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("removed with no storage directory configured: %v", err)
	}
}
