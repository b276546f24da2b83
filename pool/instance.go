package pool

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"
)

// Instance is this server process's identity in container labels. While the process lives,
// it holds an exclusive flock on a lock file named after its ID, in a directory shared by
// every sandbox-mcp process on the host. The kernel drops the lock when the process dies,
// even by SIGKILL, so the reaper can distinguish a live sibling from a dead one.
type Instance struct {
	ID   string
	Host string
	dir  string
	file *os.File
}

// DefaultInstanceDir is the lock directory shared by the instances on one host. It is a
// fixed path, not one below TMPDIR, because instances with different TMPDIRs must still
// see each other's locks. An instance that cannot see a sibling's lock (a private /tmp)
// treats the sibling as Unknown and leaves its containers alone.
const DefaultInstanceDir = "/tmp/sandbox-mcp-instances"

var instanceIDPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// NewInstance mints an instance ID and takes its lock in dir (created with mode 1777 so that
// instances run by other users share it). Close releases the lock.
func NewInstance(dir string) (*Instance, error) {
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("reading host name: %w", err)
	}
	if err := os.MkdirAll(dir, 0o1777); err != nil {
		return nil, fmt.Errorf("creating instance directory: %w", err)
	}
	_ = os.Chmod(dir, 0o1777|fs.ModeSticky) // MkdirAll applies the umask

	b := make([]byte, 8)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	f, err := os.OpenFile(filepath.Join(dir, id+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("creating instance lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking instance lock: %w", err)
	}
	return &Instance{ID: id, Host: host, dir: dir, file: f}, nil
}

// Close releases the lock and deletes the lock file.
func (in *Instance) Close() error {
	path := in.file.Name()
	err := in.file.Close()
	return errors.Join(err, os.Remove(path))
}

// Liveness is the state of another instance as far as this host can check it.
type Liveness int

const (
	// Unknown: the instance runs on another host, its lock file is not in this
	// instance's lock directory, or its ID is malformed.
	Unknown Liveness = iota
	// Alive: its lock is held.
	Alive
	// Gone: its lock file exists and no process holds its lock.
	Gone
)

// Check reports whether the instance id, which labelled its containers with host, still
// runs.
func (in *Instance) Check(id, host string) Liveness {
	if host != in.Host || !instanceIDPattern.MatchString(id) {
		return Unknown
	}
	// A missing lock file proves nothing: the sibling may use another lock directory.
	f, err := os.Open(filepath.Join(in.dir, id+".lock"))
	if err != nil {
		return Unknown
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		return Alive
	}
	// The empty lock file of a dead instance stays, so that later sweeps still know the
	// instance is gone if removing one of its containers failed.
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return Gone
}
