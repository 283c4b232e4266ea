// Package metricsserver runs upstream metrics-server (the metrics.k8s.io
// aggregated API behind `kubectl top` and the HorizontalPodAutoscaler)
// inside the server's process instead of as a pod: it shares the process's
// Go runtime and the code pages of the apiserver libraries it is built on
// (docs/adr/0015-metrics-server-in-process.md).
package metricsserver
