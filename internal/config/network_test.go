package config

import "testing"

// BenchmarkDefaultRouteIP is the cost of one read of the node's address,
// which a node without --node-ip repeats every 2 s (node.AddressWatch).
func BenchmarkDefaultRouteIP(b *testing.B) {
	if _, err := DefaultRouteIP(); err != nil {
		b.Skipf("no default route: %v", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DefaultRouteIP(); err != nil {
			b.Fatal(err)
		}
	}
}
