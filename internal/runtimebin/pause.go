package runtimebin

import (
	"fmt"
	"io/fs"
)

// PauseImageRef is the sandbox image every pod starts with; containerd is
// configured to never pull it.
const PauseImageRef = "registry.k8s.io/pause:3.10.2"

// PauseImage is the pause image as a docker-archive tarball, built from the
// upstream C source by `make runtime` and embedded so that every node has
// it with no registry.
func PauseImage() ([]byte, error) {
	b, err := fs.ReadFile(assets, "assets/pause.tar")
	if err != nil {
		return nil, fmt.Errorf("this shoal binary carries no pause image: build it with `make build`")
	}
	return b, nil
}
