package pool_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/backendtest"
)

func TestReaperSweep(t *testing.T) {
	dir := t.TempDir()
	self, err := pool.NewInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	sibling, err := pool.NewInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sibling.Close()
	// The lock file of an instance that is gone stays, unlocked.
	const goneID = "0123456789abcdef"
	if err := os.WriteFile(filepath.Join(dir, goneID+".lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	// Remove counts the removals under way at once.
	var running, most atomic.Int32
	fake := &backendtest.Fake{FailRemove: func(string) error {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		return nil
	}}
	ctx := context.Background()
	create := func(instance string) string {
		id, err := fake.Create(ctx, pool.Spec{Labels: map[string]string{
			pool.LabelManaged: "true", pool.LabelInstance: instance, pool.LabelHost: self.Host,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	for range 12 {
		create(goneID)
	}
	siblings := create(sibling.ID)
	tracked := create(self.ID)
	create(self.ID) // untracked: a failed removal or an interrupted creation left it

	r := &pool.Reaper{Backend: fake, Instance: self, Grace: time.Nanosecond, Tracks: func(id string) bool { return id == tracked }}
	time.Sleep(time.Millisecond) // past the grace
	n, err := r.Sweep(ctx)
	if err != nil || n != 13 {
		t.Errorf("Sweep() = %d, %v, want 13 (the gone instance's 12 and the untracked one), nil", n, err)
	}
	left, err := fake.List(ctx, map[string]string{pool.LabelManaged: "true"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range left {
		ids = append(ids, c.ID)
	}
	if len(ids) != 2 || !slices.Contains(ids, siblings) || !slices.Contains(ids, tracked) {
		t.Errorf("containers after Sweep() = %v, want the live sibling's %s and the tracked %s", ids, siblings, tracked)
	}
	if m := most.Load(); m < 2 || m > 8 {
		t.Errorf("Sweep() ran %d removals at once, want between 2 and 8", m)
	}
}
