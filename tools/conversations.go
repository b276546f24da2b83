package tools

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/artifacts"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// conversation is the unit of state: one sandbox per language, with its files and
// packages, used by one client.
type conversation struct {
	id string
	// protocolSession is the MCP protocol session that started the conversation, or "" when
	// it was started by a stateless (2026-07-28) request. Its end ends the conversation.
	protocolSession string
	created         time.Time
	// plots holds the plots of the conversation's runs; it has a lock of its own.
	plots artifacts.Store

	mu        sync.Mutex
	sandboxes map[string]*sandbox // by runtime name; guarded by mu
	lastUsed  time.Time           // guarded by mu
	busy      int                 // calls in progress; guarded by mu
	ended     bool                // guarded by mu
	runs      int                 // run_code calls that started a run; guarded by mu
}

// startRun returns the number of a new run of c, from 1.
func (c *conversation) startRun() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runs++
	return c.runs
}

// sandbox is a conversation's container for one language. Calls to it are serialized by
// turn, a one-slot semaphore that a waiting call can give up on.
type sandbox struct {
	turn chan struct{}
	// lease is set on first use by the call holding turn, and read without turn by end.
	lease atomic.Pointer[pool.Lease]
}

// registry holds the live conversations. It is safe for concurrent use.
type registry struct {
	idleTimeout time.Duration
	maxAge      time.Duration
	log         *slog.Logger

	mu       sync.Mutex
	byID     map[string]*conversation
	defaults map[string]*conversation // protocol session ID → its default conversation
}

func newRegistry(idleTimeout, maxAge time.Duration, log *slog.Logger) *registry {
	return &registry{
		idleTimeout: idleTimeout,
		maxAge:      maxAge,
		log:         log,
		byID:        make(map[string]*conversation),
		defaults:    make(map[string]*conversation),
	}
}

// errUnknownConversation is returned for a session_id that does not exist or has ended.
var errUnknownConversation = errors.New("unknown session_id")

// newConversationID mints a handle: "s_" and 128 random bits, URL-safe.
func newConversationID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "s_" + base64.RawURLEncoding.EncodeToString(b)
}

// acquire returns the conversation a call belongs to and marks it busy until release.
// With an id, that conversation, or errUnknownConversation when it does not exist, has
// ended, or was started in another protocol session. Without one, the protocol
// session's default conversation when there is a protocol session, else a new one.
func (r *registry) acquire(id, protocolSession string) (*conversation, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var c *conversation
	switch {
	case id != "":
		c = r.byID[id]
		// A conversation started in a protocol session belongs to it: to every other
		// caller it is unknown, so a handle seen elsewhere gives no access and no hint.
		if c == nil || (c.protocolSession != "" && c.protocolSession != protocolSession) {
			return nil, errUnknownConversation
		}
	case protocolSession != "" && r.defaults[protocolSession] != nil:
		c = r.defaults[protocolSession]
	default:
		c = r.startLocked(protocolSession)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		return nil, errUnknownConversation
	}
	c.busy++
	c.lastUsed = time.Now()
	return c, nil
}

// acquireOwned is acquire for a conversation that must already exist: an empty id is
// unknown rather than the start of a new conversation.
func (r *registry) acquireOwned(id, protocolSession string) (*conversation, error) {
	if id == "" {
		return nil, errUnknownConversation
	}
	return r.acquire(id, protocolSession)
}

func (r *registry) startLocked(protocolSession string) *conversation {
	now := time.Now()
	c := &conversation{
		id:              newConversationID(),
		protocolSession: protocolSession,
		created:         now,
		lastUsed:        now,
		sandboxes:       make(map[string]*sandbox),
	}
	r.byID[c.id] = c
	if protocolSession != "" {
		r.defaults[protocolSession] = c
	}
	r.log.Info("conversation started", "session_id", c.id, "protocol_session", protocolSession != "")
	return c
}

// hasEnded reports whether c has ended.
func (c *conversation) hasEnded() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended
}

// release marks the end of one call on c.
func (r *registry) release(c *conversation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy--
	c.lastUsed = time.Now()
}

// sandbox returns c's sandbox for runtime, creating the entry (without a container) on
// first use.
func (c *conversation) sandbox(runtime string) *sandbox {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sandboxes[runtime]
	if s == nil {
		s = &sandbox{turn: make(chan struct{}, 1)}
		c.sandboxes[runtime] = s
	}
	return s
}

// lock waits for the sandbox's turn, or returns ctx's error.
func (s *sandbox) lock(ctx context.Context) error {
	select {
	case s.turn <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *sandbox) unlock() { <-s.turn }

// end removes c from the registry and destroys its containers. It is safe to call more than
// once; later calls do nothing. It blocks until the containers are removed.
func (r *registry) end(c *conversation, why string) {
	r.mu.Lock()
	delete(r.byID, c.id)
	if r.defaults[c.protocolSession] == c {
		delete(r.defaults, c.protocolSession)
	}
	r.mu.Unlock()

	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return
	}
	c.ended = true
	var leases []*pool.Lease
	for _, s := range c.sandboxes {
		// A call still running on the sandbox fails once its container is gone, which is
		// what ending a conversation means.
		if l := s.lease.Load(); l != nil {
			leases = append(leases, l)
		}
	}
	c.mu.Unlock()

	var wg sync.WaitGroup
	for _, l := range leases {
		wg.Go(func() {
			if err := l.Release(pool.ReasonConversationEnd); err != nil {
				r.log.Warn("removing conversation container failed", "session_id", c.id, "container_id", l.ContainerID(), "error", err)
			}
		})
	}
	wg.Wait()
	r.log.Info("conversation ended", "session_id", c.id, "reason", why, "containers", len(leases))
}

// endProtocolSession ends every conversation started in protocol session id.
func (r *registry) endProtocolSession(id string) {
	r.mu.Lock()
	var doomed []*conversation
	for _, c := range r.byID {
		if c.protocolSession == id {
			doomed = append(doomed, c)
		}
	}
	r.mu.Unlock()
	r.endAll(doomed, "protocol session ended")
}

// endAll ends conversations concurrently and waits for them.
func (r *registry) endAll(doomed []*conversation, why string) {
	var wg sync.WaitGroup
	for _, c := range doomed {
		wg.Go(func() { r.end(c, why) })
	}
	wg.Wait()
}

// closeAll ends every conversation; the server calls it on shutdown.
func (r *registry) closeAll() {
	r.mu.Lock()
	var doomed []*conversation
	for _, c := range r.byID {
		doomed = append(doomed, c)
	}
	r.mu.Unlock()
	r.endAll(doomed, "server shutdown")
}

// sweep ends the conversations idle longer than idleTimeout or older than maxAge. A
// conversation with a call in progress is not idle.
func (r *registry) sweep(now time.Time) {
	r.mu.Lock()
	var idle, old []*conversation
	for _, c := range r.byID {
		c.mu.Lock()
		switch {
		case r.maxAge > 0 && now.Sub(c.created) > r.maxAge:
			old = append(old, c)
		case r.idleTimeout > 0 && c.busy == 0 && now.Sub(c.lastUsed) > r.idleTimeout:
			idle = append(idle, c)
		}
		c.mu.Unlock()
	}
	r.mu.Unlock()
	r.endAll(idle, "idle timeout")
	r.endAll(old, "maximum age")
}

// runSweeper sweeps periodically until ctx ends.
func (r *registry) runSweeper(ctx context.Context) {
	interval := sweepInterval(r.idleTimeout, r.maxAge)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticker.C:
			r.sweep(now)
		}
	}
}

// sweepInterval checks often enough that a conversation outlives its limit by at most a
// quarter of the shorter limit, between 100 ms and one minute.
func sweepInterval(limits ...time.Duration) time.Duration {
	interval := time.Minute
	for _, l := range limits {
		if l > 0 {
			interval = min(interval, l/4)
		}
	}
	return max(interval, 100*time.Millisecond)
}
