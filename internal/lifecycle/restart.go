package lifecycle

import "errors"

// ErrRestart, wrapped in a component's error, asks the process to
// re-execute itself once every component has stopped (pods keep running):
// after a binary upgrade, or to re-issue certificates near expiry.
var ErrRestart = errors.New("re-executing shoal")
