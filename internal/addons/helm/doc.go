// Package helm is the HelmChart controller: a helm.cattle.io/v1 HelmChart
// (the K3s API, so K3s manifests work unchanged) installs, upgrades and on
// deletion uninstalls a chart through the helm v3 library, in-process. The
// chart comes from a .tgz in the manifests directory (spec.chart is its
// file name) or inline (spec.chartContent, base64); values from
// spec.valuesContent (YAML) with spec.set on top.
package helm
