package upgrade

import (
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
	for _, tc := range []struct {
		ann  map[string]string
		want string
	}{
		{map[string]string{AnnVersion: "v1"}, PhasePending},
		{map[string]string{AnnVersion: "v1", AnnTarget: "v2"}, StateUpgrading},
		{map[string]string{AnnVersion: "v1", AnnTarget: "v2", AnnState: StateUpgrading}, StateUpgrading},
		{map[string]string{AnnVersion: "v2", AnnTarget: "v2", AnnState: StateVerifying}, StateVerifying},
		{map[string]string{AnnVersion: "v2", AnnTarget: "v2", AnnState: StateComplete}, PhaseComplete},
		{map[string]string{AnnVersion: "v2"}, PhaseComplete},
		{map[string]string{AnnVersion: "v1", AnnTarget: "v2", AnnState: StateRolledBack, AnnReason: "exited"}, StateRolledBack},
	} {
		if got := nodePhase(node(tc.ann), "v2"); got.Phase != tc.want {
			t.Errorf("%v: phase %s, want %s", tc.ann, got.Phase, tc.want)
		}
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
