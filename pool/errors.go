package pool

import "errors"

var (
	// ErrEngineUnavailable is returned when the container engine does not respond.
	ErrEngineUnavailable = errors.New("container engine unavailable")

	// ErrImageNotFound is returned by Backend.Create when the image is not present.
	ErrImageNotFound = errors.New("image not found")

	// ErrContainerNotFound is returned when a container no longer exists.
	ErrContainerNotFound = errors.New("container not found")

	// ErrExhausted is returned by Pool.Lease when the pool is at max_size and the
	// exhaustion strategy is fail_fast, or when waiting under the wait strategy timed out.
	ErrExhausted = errors.New("pool exhausted")

	// ErrNotReady is returned by Pool.Lease when the pool is not full but no container
	// became ready within the acquire timeout, as when new ones take long to start.
	ErrNotReady = errors.New("no container ready")

	// ErrClosed is returned by Pool.Lease after Close.
	ErrClosed = errors.New("pool closed")
)
