package upstreamargs

import (
	"strings"
	"testing"
)

func TestArgsMerge(t *testing.T) {
	tests := []struct {
		name string
		base Args
		user []string
		want string
	}{
		{"sorted defaults", Args{"b": "2", "a": "1"}, nil, "--a=1 --b=2"},
		{"user replaces", Args{"v": "0", "a": "1"}, []string{"v=4"}, "--a=1 --v=4"},
		{"dashes tolerated", Args{"v": "0"}, []string{"--v=3"}, "--v=3"},
		{"repeated user key kept", Args{}, []string{"feature-gates=A=true", "feature-gates=B=false"}, "--feature-gates=A=true --feature-gates=B=false"},
		{"empty value", Args{"x": "1"}, []string{"x="}, "--x="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := strings.Join(tt.base.Merge(tt.user), " ")
			if got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}
