// Command pause is the pod sandbox process of the test cluster that scripts/kube/up.sh
// starts. It holds a pod's namespaces open, reaps every child that is re-parented to it, and
// exits with status 0 on SIGTERM or SIGINT. up.sh packs it as the image that containerd runs
// for each pod sandbox, because the cluster has no registry to pull one from.
package main

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)

	for sig := range signals {
		if sig == syscall.SIGCHLD {
			reapChildren()
			continue
		}
		os.Exit(0)
	}
}

// reapChildren collects the exit status of every child that has exited, without blocking,
// so that none stays a zombie. The kernel merges pending SIGCHLD signals, so one signal can
// report several exited children.
func reapChildren() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
}
