// Package docker is a pool.Backend on the Docker Engine API. It also drives Podman through
// Podman's Docker-compatible socket; the differences between the two engines live in Profile.
package docker

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// cleanupTimeout bounds the removal of a container that Create could not start. The removal
// runs on a context detached from the caller's, so a cancelled Create still frees it.
const cleanupTimeout = 30 * time.Second

// Options configures New. The zero value connects to DOCKER_HOST, or to the default socket
// when that is unset, with the Docker profile and no logging.
type Options struct {
	// Host is the engine address, such as unix:///var/run/docker.sock or tcp://127.0.0.1:2375.
	// Empty means DOCKER_HOST, then the default socket. TLS settings come from DOCKER_CERT_PATH
	// and DOCKER_TLS_VERIFY either way.
	Host string
	// Profile holds the settings where engines differ. The zero value is Docker's.
	Profile Profile
	// Logger receives debug records of engine calls and warnings of failed cleanups. Nil
	// discards them.
	Logger *slog.Logger
}

// Backend is a pool.Backend on one Docker-compatible engine. It is safe for concurrent use.
type Backend struct {
	api     *client.Client
	profile Profile
	log     *slog.Logger
	warned  sync.Map // engine warning text → true, once it was logged at warn level
}

var _ pool.Backend = (*Backend)(nil)

// New returns a Backend for the engine at opts.Host. It does not contact the engine: the
// first call does, and negotiates the API version then. Call Ping to check the engine. An
// ssh:// address, which Podman's CONTAINER_HOST may hold, returns an error.
func New(opts Options) (*Backend, error) {
	// The moby client takes ssh:// for a host name and fails only at the first call.
	if strings.HasPrefix(opts.Host, "ssh://") {
		return nil, fmt.Errorf("engine address %q: ssh:// is not supported, so forward the remote socket with ssh -L and use the local unix:// path", opts.Host)
	}
	api, err := client.New(clientOptions(opts.Host)...)
	if err != nil {
		return nil, fmt.Errorf("creating docker client: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Backend{api: api, profile: opts.Profile, log: log}, nil
}

// clientOptions returns the moby client options for host. No option fixes the API version
// (DOCKER_API_VERSION is not read), so the client negotiates it on its first request.
func clientOptions(host string) []client.Opt {
	opts := []client.Opt{client.WithTLSClientConfigFromEnv()}
	if host == "" {
		return append(opts, client.WithHostFromEnv())
	}
	return append(opts, client.WithHost(host))
}

// Name returns the profile's name: "docker" for the Docker profile.
func (b *Backend) Name() string {
	return b.profile.name()
}

// Ping checks that the engine responds. Any failure wraps pool.ErrEngineUnavailable.
func (b *Backend) Ping(ctx context.Context) error {
	if _, err := b.api.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return fmt.Errorf("pinging %s engine: %w: %w", b.Name(), pool.ErrEngineUnavailable, err)
	}
	return nil
}

// Engine describes the engine behind a Backend, as its version endpoint reports it.
type Engine struct {
	// Podman is true when the engine is Podman, which names a version component "Podman
	// Engine". Docker names its own "Engine".
	Podman bool
	// Version is the engine's version, such as "20.10.24" or "4.3.1".
	Version string
	// APIVersion is the newest Docker Engine API version the engine serves, such as "1.41".
	APIVersion string
}

// Name returns "Podman" or "Docker".
func (e Engine) Name() string {
	if e.Podman {
		return "Podman"
	}
	return "Docker"
}

// Engine reads the engine's version endpoint. An engine that does not respond returns an error
// wrapping pool.ErrEngineUnavailable.
func (b *Backend) Engine(ctx context.Context) (Engine, error) {
	version, err := b.api.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return Engine{}, fmt.Errorf("reading the %s engine's version: %w", b.Name(), classify(err, nil))
	}
	engine := Engine{Version: version.Version, APIVersion: version.APIVersion}
	for _, component := range version.Components {
		if strings.Contains(component.Name, "Podman") {
			engine.Podman = true
		}
	}
	return engine, nil
}

// Close releases the engine connection. It does not remove containers.
func (b *Backend) Close() error {
	if err := b.api.Close(); err != nil {
		return fmt.Errorf("closing docker client: %w", err)
	}
	return nil
}
