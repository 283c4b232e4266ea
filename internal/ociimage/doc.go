// Package ociimage builds single-binary container images without a
// registry or a container engine: one layer holding the binary, a config
// with its entrypoint, written as an image tarball that containerd (and
// `docker load`) import. It is how shoal's air-gapped images are made.
package ociimage
