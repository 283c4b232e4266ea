package servicelb

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func lb(name string, age time.Duration, port int32) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, CreationTimestamp: metav1.NewTime(time.Unix(1e9, 0).Add(-age))},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, Ports: []corev1.ServicePort{{Port: port, Protocol: corev1.ProtocolTCP}}},
	}
}

func TestOldestServiceKeepsAPortTheOthersWait(t *testing.T) {
	older, newer, other := lb("a", time.Hour, 80), lb("b", time.Minute, 80), lb("c", time.Minute, 443)
	cluster := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "d"}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP}}
	got := Assign([]*corev1.Service{newer, other, older, cluster}, []string{"192.0.2.7"})
	if len(got["default/a"]) != 1 || len(got["default/b"]) != 0 || len(got["default/c"]) != 1 || len(got["default/d"]) != 0 {
		t.Fatalf("assign: %v", got)
	}
}

func TestNodeAddressesPreferExternalAndSkipNotReady(t *testing.T) {
	node := func(name string, ready bool, addrs ...corev1.NodeAddress) *corev1.Node {
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.NodeStatus{Addresses: addrs,
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}}}}
	}
	in := corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: "10.0.0.2"}
	ex := corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "203.0.113.5"}
	got := NodeAddresses([]*corev1.Node{node("a", true, in), node("b", true, in, ex), node("c", false, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: "10.0.0.9"})})
	if len(got) != 2 || got[0] != "10.0.0.2" || got[1] != "203.0.113.5" {
		t.Fatalf("addresses: %v", got)
	}
}
