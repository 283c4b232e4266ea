package encryption

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// SingleServer refuses a change of the encryption config on a cluster of
// several servers: each keeps its own copy of the file, so a key one of
// them rotates or drops would leave the others unable to read Secrets
// written with it. It counts the apiservers behind the kubernetes Service.
func SingleServer(ctx context.Context, client kubernetes.Interface) error {
	slices, err := client.DiscoveryV1().EndpointSlices("default").List(ctx, metav1.ListOptions{LabelSelector: "kubernetes.io/service-name=kubernetes"})
	if err != nil {
		return fmt.Errorf("count the servers: %w", err)
	}
	n := 0
	for _, s := range slices.Items {
		n += len(s.Endpoints)
	}
	if n > 1 {
		return fmt.Errorf("this cluster has %d servers, each with its own copy of the encryption config: "+
			"changing it on one would leave the others unable to read Secrets; not supported yet (docs/security.md)", n)
	}
	return nil
}
