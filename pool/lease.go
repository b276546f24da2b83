package pool

// Lease is one conversation's hold on one container. The container is never handed to
// anyone else; Release destroys it.
type Lease struct {
	pool *Pool
	c    *container
}

// ContainerID returns the engine's ID of the leased container.
func (l *Lease) ContainerID() string { return l.c.id }

// Temporary reports whether the container was created outside the pool's count.
func (l *Lease) Temporary() bool { return l.c.temporary }

// Release destroys the container and lets the pool refill. It blocks until the engine has
// removed the container or the removal timed out after 30 s. The removal runs on a context
// of its own, so that a cancelled request still frees the container. Calling Release
// again returns nil.
func (l *Lease) Release(reason RemoveReason) error {
	return l.pool.remove(l.c, reason)
}
