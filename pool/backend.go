// Package pool keeps per-language pools of pre-warmed sandbox containers and leases them to
// conversations. It drives a container engine through the Backend interface and does not
// depend on MCP.
package pool

import (
	"context"
	"io"
	"time"
)

// Backend creates, runs commands in, and removes sandbox containers on one container engine.
// Implementations live in sub-packages (pool/docker); every one passes pool/backendtest.
// All methods are safe for concurrent use.
type Backend interface {
	// Name returns the backend's config name, such as "docker" or "podman".
	Name() string

	// Ping checks that the engine responds. It returns an error wrapping
	// ErrEngineUnavailable when it does not.
	Ping(ctx context.Context) error

	// Create creates and starts a container from spec and returns its ID. If any step after
	// the engine created the container fails, Create removes it before returning the error.
	// A missing image returns an error wrapping ErrImageNotFound.
	Create(ctx context.Context, spec Spec) (string, error)

	// Exec runs cmd in the running container id and blocks until the process exits, its
	// output is drained and its exit code is known. Stdout and stderr are demultiplexed into
	// cmd.Stdout and cmd.Stderr while the process runs, so a long-lived process can be
	// driven interactively through a pipe on cmd.Stdin. When cmd.Stdin reaches EOF, the
	// process sees EOF on its standard input.
	//
	// When ctx is cancelled, Exec returns ctx's error promptly. The process may keep running
	// inside the container: engines have no call to kill an exec, so the caller stops it
	// (see Run). A container that does not exist returns an error wrapping
	// ErrContainerNotFound. A process that cannot start (a missing binary, user or working
	// directory) is not an error: it ends with an exit code (126 on Docker) and the
	// engine's message in its output.
	Exec(ctx context.Context, id string, cmd ExecCommand) (ExecResult, error)

	// Inspect returns the state of container id, or an error wrapping ErrContainerNotFound.
	Inspect(ctx context.Context, id string) (Status, error)

	// Remove stops and removes container id with its anonymous volumes. Removing a container
	// that is already gone succeeds.
	Remove(ctx context.Context, id string) error

	// List returns the containers, running or not, that carry every label in labels.
	List(ctx context.Context, labels map[string]string) ([]Container, error)

	// Close releases the engine connection. It does not remove containers.
	Close() error
}

// Spec describes a sandbox container. The zero value of each field means the engine's
// default, except where the field's doc states otherwise.
type Spec struct {
	Image  string
	Labels map[string]string

	// Command is the long-lived main process, run as User. It must exit on SIGTERM.
	Command []string
	// User is "uid:gid" for the main process; execs choose their own user.
	User string
	// ExecUsers lists the other users, as "uid:gid", that execs run as. Docker ignores it:
	// an exec there may run as any user. Kubernetes cannot choose an exec's user, so it
	// starts one container per user in the pod, and an exec as an unlisted user fails.
	ExecUsers []string
	Env       []string

	// Network attaches the container to a network: NetworkName, or the engine's default
	// network when NetworkName is empty. False means no network at all (only loopback).
	Network     bool
	NetworkName string
	// ReadOnlyRoot mounts the root filesystem read-only.
	ReadOnlyRoot bool
	// Tmpfs lists writable in-memory mounts. They allow executing programs.
	Tmpfs []Tmpfs
	// Init runs an init process as PID 1 that reaps zombies and forwards signals.
	Init bool
	// Runtime names an OCI runtime such as "runsc"; empty means the engine's default.
	Runtime string

	Limits Limits
}

// Tmpfs is a size-capped in-memory mount, world-writable with the sticky bit (mode 1777).
type Tmpfs struct {
	Path      string
	SizeBytes int64
}

// Limits caps a container's resources. Zero means unlimited, except where stated.
type Limits struct {
	MemoryBytes int64 // also the memory+swap limit, so the container cannot swap
	NanoCPUs    int64 // 1e9 is one CPU
	Pids        int64
	NoFile      int64 // soft and hard RLIMIT_NOFILE
}

// ExecCommand is a process to run inside a container. Cmd is argv: no shell is involved
// unless Cmd names one.
type ExecCommand struct {
	Cmd        []string
	Env        []string
	User       string // "uid:gid"; empty means the container's user
	WorkingDir string // empty means the container's working directory

	// Stdin, when non-nil, is copied to the process's standard input, which is then closed.
	// Exec may return while a Read on Stdin is still blocked, when the process exits before
	// EOF; the data of that Read is lost, so pass a reader that only this exec uses.
	Stdin io.Reader
	// Stdout and Stderr receive the process's output; nil discards it.
	Stdout io.Writer
	Stderr io.Writer
}

// ExecResult is the outcome of an exec.
type ExecResult struct {
	ExitCode int
}

// Status is a container's state as the engine reports it.
type Status struct {
	Running bool
	// OOMKilled reports that the OOM killer killed the main process. Docker 20.10 does not
	// set it when the killed process was an exec's, so runs detect OOM kills themselves.
	OOMKilled bool
	// ExitCode of the main process; valid only when Running is false.
	ExitCode  int
	StartedAt time.Time
}

// Container is one entry of List.
type Container struct {
	ID      string
	Labels  map[string]string
	Created time.Time
	Running bool
}
