package datastore

import "testing"

func TestDefragmentOnlyAMostlyFreeFile(t *testing.T) {
	d := &defragmenter{minFree: 16 << 20}
	tests := []struct {
		size, inUse int64
		want        bool
	}{
		{100 << 20, 90 << 20, false}, // steady churn: the free pages get reused
		{100 << 20, 40 << 20, true},  // a burst compacted away
		{20 << 20, 2 << 20, true},
		{10 << 20, 1 << 20, false}, // too little to be worth blocking writes
		{40 << 20, 20 << 20, false},
	}
	for _, tt := range tests {
		if got := d.worth(tt.size, tt.inUse); got != tt.want {
			t.Errorf("worth(%d MB, %d MB in use) = %v, want %v", tt.size>>20, tt.inUse>>20, got, tt.want)
		}
	}
}
