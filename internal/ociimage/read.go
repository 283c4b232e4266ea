package ociimage

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// CopyFile writes the file at inImage (absolute) of the image in the
// archive (an image tarball, one image) to w, streaming: it is how a node
// takes a shoal binary out of an image.
func CopyFile(archive, inImage string, w io.Writer) error {
	img, err := tarball.ImageFromPath(archive, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", archive, err)
	}
	fs := mutate.Extract(img)
	defer fs.Close()
	want := path.Clean(inImage)
	tr := tar.NewReader(fs)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: the image has no %s", archive, inImage)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", archive, err)
		}
		if path.Clean("/"+hdr.Name) == want && hdr.Typeflag == tar.TypeReg {
			_, err := io.Copy(w, tr)
			return err
		}
	}
}
