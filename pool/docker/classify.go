package docker

import (
	"context"
	"errors"
	"fmt"
	"net"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// classify wraps err from an engine call with the pool sentinel it matches:
// pool.ErrEngineUnavailable when the engine could not be reached, and notFound, when not
// nil, when the engine reported the object missing. Other errors come back unchanged. The
// engine's own text stays in the message for logs.
func classify(err, notFound error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case unreachable(err):
		return fmt.Errorf("%w: %w", pool.ErrEngineUnavailable, err)
	case notFound != nil && cerrdefs.IsNotFound(err):
		return fmt.Errorf("%w: %w", notFound, err)
	default:
		return err
	}
}

// unreachable reports whether err means the client could not connect to the engine. Plain
// requests mark that with client.IsErrConnectionFailed; the hijacked connection of an exec
// attach returns the dial error itself.
func unreachable(err error) bool {
	if client.IsErrConnectionFailed(err) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}
