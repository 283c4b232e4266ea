// Command shoal is a lightweight, upstream-conformant Kubernetes
// distribution in one binary. See the README.
package main

import (
	"os"

	"github.com/shoal-dev/shoal/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
