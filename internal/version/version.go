package version

import (
	"fmt"
	"runtime"

	k8sversion "k8s.io/component-base/version"
)

// Version is shoal's release; "dev" when built without the Makefile.
var Version = "dev"

// String is the one-line version shown by `shoal --version`.
func String() string {
	return fmt.Sprintf("shoal %s (kubernetes %s, %s)", Version, k8sversion.Get().GitVersion, runtime.Version())
}
