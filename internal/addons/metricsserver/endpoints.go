package metricsserver

import (
	"context"
	"net"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// Namespace and ServiceName are the Service the APIService names; its
// manifest has no selector: each server running metrics-server publishes
// its own EndpointSlice for it.
const (
	Namespace   = "kube-system"
	ServiceName = "metrics-server"
	managedBy   = "shoal"
)

// slice is this server's EndpointSlice: one ready endpoint, its address.
func (s *Server) slice() *discoveryv1.EndpointSlice {
	addrType := discoveryv1.AddressTypeIPv4
	if ip := net.ParseIP(s.ip); ip != nil && ip.To4() == nil {
		addrType = discoveryv1.AddressTypeIPv6
	}
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ServiceName + "-" + s.node,
			Namespace: Namespace,
			Labels: map[string]string{
				discoveryv1.LabelServiceName: ServiceName,
				discoveryv1.LabelManagedBy:   managedBy,
			},
		},
		AddressType: addrType,
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{s.ip},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			NodeName:   ptr.To(s.node),
		}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To[int32](Port)}},
	}
}

// publish creates or replaces this server's EndpointSlice. A cluster
// that ran metrics-server as a pod has the Endpoints upstream's endpoints
// controller kept for it, which it leaves behind when the Service loses
// its selector and the mirroring controller would keep copying to a
// slice of the gone pod's address: they are deleted.
func (s *Server) publish(ctx context.Context) error {
	err := s.client.CoreV1().Endpoints(Namespace).Delete(ctx, ServiceName, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	want := s.slice()
	api := s.client.DiscoveryV1().EndpointSlices(Namespace)
	cur, err := api.Get(ctx, want.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		_, err = api.Create(ctx, want, metav1.CreateOptions{})
	case err == nil:
		want.ResourceVersion = cur.ResourceVersion
		_, err = api.Update(ctx, want, metav1.UpdateOptions{})
	}
	return err
}

// withdraw deletes this server's EndpointSlice, so that the aggregator
// stops sending requests to a metrics-server that is gone. Best effort:
// a server that dies leaves its slice until it starts again.
func (s *Server) withdraw() {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := s.client.DiscoveryV1().EndpointSlices(Namespace).Delete(ctx, ServiceName+"-"+s.node, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		klog.InfoS("metrics-server endpoint not withdrawn", "err", err)
	}
}
