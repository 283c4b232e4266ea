package service

import "github.com/coreos/go-systemd/v22/daemon"

// NotifyReady tells systemd (a Type=notify unit) that shoal is ready;
// without $NOTIFY_SOCKET it does nothing.
func NotifyReady() {
	_, _ = daemon.SdNotify(false, daemon.SdNotifyReady)
}
