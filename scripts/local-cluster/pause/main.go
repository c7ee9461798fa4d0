// The pod sandbox's process ("pause"): it holds the pod's namespaces, reaps the orphans reparented to it
// as the pod's PID 1, and exits when the runtime stops the sandbox. No image registry is reachable here,
// so the cluster makes its own sandbox image from this.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			return
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
