package node

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/shoal-dev/shoal/internal/lifecycle"
)

// TestAddressWatch feeds the watch a sequence of reads of the default
// route's address and checks when it asks for a restart.
func TestAddressWatch(t *testing.T) {
	gone := errors.New("this host has no IPv4 default route")
	for _, tc := range []struct {
		name  string
		reads []string // "" is a read that fails (no default route)
		want  string   // the new address it restarts for, or "" for none
	}{
		{"unchanged", []string{"10.0.0.5", "10.0.0.5", "10.0.0.5"}, ""},
		{"route gone a while", []string{"", "", "10.0.0.5", ""}, ""},
		{"changed and settled", []string{"10.0.0.5", "", "10.0.0.9", "10.0.0.9"}, "10.0.0.9"},
		{"a blip back to the old one", []string{"10.0.0.9", "10.0.0.5", "10.0.0.9", "10.0.0.5"}, ""},
		{"settles on the second new one", []string{"10.0.0.7", "10.0.0.9", "10.0.0.9"}, "10.0.0.9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := 0
			exhausted := make(chan struct{})
			lookup := func() (net.IP, error) {
				if i == len(tc.reads) {
					close(exhausted)
				}
				if i >= len(tc.reads) {
					i++
					return net.ParseIP("10.0.0.5"), nil
				}
				r := tc.reads[i]
				i++
				if r == "" {
					return nil, gone
				}
				return net.ParseIP(r), nil
			}
			w := NewAddressWatch("10.0.0.5", lookup)
			w.interval = time.Millisecond
			if err := w.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			select {
			case <-w.Done():
			case <-exhausted:
			case <-time.After(10 * time.Second):
				t.Fatal("the watch neither restarted nor read every address")
			}
			_ = w.Stop(context.Background())
			err := w.Err()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("restarted for %v, want no restart", err)
			case tc.want != "" && (!errors.Is(err, lifecycle.ErrRestart) || !strings.Contains(err.Error(), "to "+tc.want)):
				t.Errorf("err %v, want a restart for %s", err, tc.want)
			}
		})
	}
}
