// Package kubeconfig writes the kubeconfig files shoal hands to its own
// components (certificate files by reference) and to users (certificates
// embedded, so the file can be copied to another machine).
package kubeconfig
