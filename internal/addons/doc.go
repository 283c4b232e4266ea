// Package addons holds shoal's batteries: the manifests embedded in the
// binary (written into <data-dir>/server/manifests, where the auto-deploy
// controller applies them) and the --disable names that remove them.
package addons
