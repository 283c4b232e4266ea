package upgrade

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/shoal-dev/shoal/internal/flock"
)

func TestWindow(t *testing.T) {
	at := func(hm string) time.Time {
		tm, _ := time.Parse("15:04", hm)
		return tm
	}
	for _, tc := range []struct {
		w    Window
		now  string
		open bool
	}{
		{Window{}, "12:00", true},
		{Window{Start: "01:00", End: "04:00"}, "02:30", true},
		{Window{Start: "01:00", End: "04:00"}, "04:00", false},
		{Window{Start: "22:00", End: "02:00"}, "23:59", true},
		{Window{Start: "22:00", End: "02:00"}, "01:00", true},
		{Window{Start: "22:00", End: "02:00"}, "12:00", false},
	} {
		if got := tc.w.open(at(tc.now)); got != tc.open {
			t.Errorf("%+v at %s: open %v, want %v", tc.w, tc.now, got, tc.open)
		}
	}
}

func TestNodePhase(t *testing.T) {
	node := func(ann map[string]string) *corev1.Node {
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Annotations: ann}}
	}
	v2, v3 := &Order{Version: "v2"}, &Order{Version: "v3"}
	for _, tc := range []struct {
		ann   map[string]string
		order *Order
		want  string
	}{
		{map[string]string{AnnVersion: "v1"}, nil, PhasePending},
		{map[string]string{AnnVersion: "v1"}, v2, StateUpgrading},
		{map[string]string{AnnVersion: "v1"}, v3, PhasePending}, // an order for another version
		{map[string]string{AnnVersion: "v1", AnnState: StateUpgrading}, v2, StateUpgrading},
		{map[string]string{AnnVersion: "v2", AnnState: StateVerifying}, v2, StateVerifying},
		{map[string]string{AnnVersion: "v2", AnnState: StateComplete}, v2, PhaseComplete},
		{map[string]string{AnnVersion: "v2"}, nil, PhaseComplete},
		{map[string]string{AnnVersion: "v1", AnnState: StateRolledBack, AnnReason: "exited"}, v2, StateRolledBack},
		// What a node writes on its own Node orders nothing: the orders
		// of earlier versions, in annotations, are ignored.
		{map[string]string{AnnVersion: "v1", "upgrade.shoal.io/target": "v2", AnnState: StateUpgrading}, nil, PhasePending},
	} {
		got := nodePhase(node(tc.ann), "v2", tc.order)
		if got.Phase != tc.want {
			t.Errorf("%v %+v: phase %s, want %s", tc.ann, tc.order, got.Phase, tc.want)
		}
		if (got.Order != nil) != (tc.order != nil && tc.order.Version == "v2") {
			t.Errorf("%v %+v: order carried %+v", tc.ann, tc.order, got.Order)
		}
	}
}

// A second watchdog (the new shoal starts one in case the first never
// ran) leaves the upgrade to the first: it returns without rolling back.
func TestSecondWatchdogLeavesItToTheFirst(t *testing.T) {
	dir := t.TempDir()
	p := &pending{From: "v1", To: "v2", Exe: "/nonexistent", Deadline: time.Now().Add(-time.Minute)}
	if err := writePending(dir, p); err != nil {
		t.Fatal(err)
	}
	release, err := flock.Acquire(filepath.Join(dir, "watchdog"), "--dir", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if err := Watch(dir, 1<<30, t.Logf); err != nil {
		t.Fatalf("second watchdog: %v", err)
	}
	got, err := readPending(dir)
	if err != nil || got == nil || got.Result != "" {
		t.Fatalf("the second watchdog acted: %+v %v", got, err)
	}
	release()
	// Alone, the same watchdog rolls back (the restore of a missing
	// previous binary fails: it tried).
	if err := Watch(dir, 1<<30, t.Logf); err == nil || !strings.Contains(err.Error(), "restore") {
		t.Fatalf("lone watchdog: %v", err)
	}
}

func TestAliveSeesExitedProcesses(t *testing.T) {
	if !alive(1) {
		t.Fatal("pid 1 not alive")
	}
	if alive(1 << 30) {
		t.Fatal("a pid that cannot exist is alive")
	}
}

func TestTakenOverSeesAnotherHolder(t *testing.T) {
	dir := t.TempDir()
	if takenOver(dir, 1500*time.Millisecond) {
		t.Fatal("a free data dir counted as taken over")
	}
	release, err := flock.Acquire(dir, "--data-dir", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	if !takenOver(dir, time.Second) {
		t.Fatal("a held data dir not seen as taken over")
	}
}
