package osimage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/v2/pkg/archive"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Install unpacks the image archive (an image tarball, as `shoal images`
// and `docker save` write them) into slot s, which is emptied first, and
// records what it holds. The image must carry boot/vmlinuz and
// boot/initrd.img.
func Install(ctx context.Context, slots Slots, s, archivePath string, in Installed) (Installed, error) {
	if err := checkSlot(s); err != nil {
		return in, err
	}
	img, err := tarball.ImageFromPath(archivePath, nil)
	if err != nil {
		return in, fmt.Errorf("OS image %s: %w", in.Name, err)
	}
	d, err := img.Digest()
	if err != nil {
		return in, fmt.Errorf("OS image %s: %w", in.Name, err)
	}
	in.Digest = d.String()
	dir := slots.Dir(s)
	if err := os.RemoveAll(dir); err != nil {
		return in, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return in, err
	}
	fs := mutate.Extract(img)
	defer fs.Close()
	if _, err := archive.Apply(ctx, dir, fs); err != nil {
		return in, fmt.Errorf("OS image %s: unpack into slot %s: %w", in.Name, s, err)
	}
	for _, f := range []string{"boot/vmlinuz", "boot/initrd.img"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return in, fmt.Errorf("OS image %s has no %s: not bootable", in.Name, f)
		}
	}
	return in, writeInstalled(dir, in)
}
