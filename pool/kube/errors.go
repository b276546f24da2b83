package kube

import "errors"

// errUserNotInSpec is returned by Exec for a user that no container of the pod runs as.
var errUserNotInSpec = errors.New("no container of the pod runs as this user; list the user in the spec's ExecUsers")
