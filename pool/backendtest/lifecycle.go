package backendtest

import (
	"strings"
	"testing"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

var lifecycleTests = []test{
	{"Ping", testPing},
	{"CreateInspect", testCreateInspect},
	{"ListLabels", testListLabels},
	{"RemoveTwice", testRemoveTwice},
	{"ExecRemoved", testExecRemoved},
	{"MissingImage", testMissingImage},
}

func testPing(t *testing.T, e *env) {
	if err := e.backend.Ping(e.ctx); err != nil {
		t.Errorf("Ping() = %v, want nil error", err)
	}
}

func testCreateInspect(t *testing.T, e *env) {
	id := e.create(t, e.spec())

	status, err := e.backend.Inspect(e.ctx, id)
	if err != nil {
		t.Fatalf("Inspect(%s) = %v, want nil error", id, err)
	}
	if !status.Running {
		t.Errorf("Inspect(%s).Running = false, want true", id)
	}
	if status.StartedAt.IsZero() {
		t.Errorf("Inspect(%s).StartedAt is zero, want the start time", id)
	}
	if status.OOMKilled {
		t.Errorf("Inspect(%s).OOMKilled = true, want false", id)
	}
}

func testListLabels(t *testing.T, e *env) {
	spec := e.spec()
	spec.Labels[pool.LabelLanguage] = "backendtest language"
	id := e.create(t, spec)

	listed, err := e.backend.List(e.ctx, map[string]string{RunLabel: e.runID})
	if err != nil {
		t.Fatalf("List(%s=%s) = %v, want nil error", RunLabel, e.runID, err)
	}
	if len(listed) != 1 || listed[0].ID != id {
		t.Fatalf("List(%s=%s) = %v, want only container %s", RunLabel, e.runID, listed, id)
	}
	got := listed[0]
	for key, want := range spec.Labels {
		if got.Labels[key] != want {
			t.Errorf("List()[0].Labels[%q] = %q, want %q", key, got.Labels[key], want)
		}
	}
	if !got.Running {
		t.Errorf("List()[0].Running = false, want true")
	}
	if got.Created.IsZero() {
		t.Errorf("List()[0].Created is zero, want the creation time")
	}

	// A container must carry every label of the filter, not just one.
	filter := map[string]string{RunLabel: e.runID, pool.LabelLanguage: "another language"}
	listed, err = e.backend.List(e.ctx, filter)
	if err != nil || len(listed) != 0 {
		t.Errorf("List(%v) = %v, %v, want no containers", filter, listed, err)
	}
}

func testRemoveTwice(t *testing.T, e *env) {
	id := e.create(t, e.spec())

	if err := e.backend.Remove(e.ctx, id); err != nil {
		t.Fatalf("Remove(%s) = %v, want nil error", id, err)
	}
	if err := e.backend.Remove(e.ctx, id); err != nil {
		t.Errorf("second Remove(%s) = %v, want nil error", id, err)
	}

	listed, err := e.backend.List(e.ctx, map[string]string{RunLabel: e.runID})
	if err != nil || len(listed) != 0 {
		t.Errorf("List after Remove = %v, %v, want no containers", listed, err)
	}
	_, err = e.backend.Inspect(e.ctx, id)
	wantErrorIs(t, "Inspect of a removed container", err, pool.ErrContainerNotFound)
}

func testExecRemoved(t *testing.T, e *env) {
	id := e.create(t, e.spec())
	if err := e.backend.Remove(e.ctx, id); err != nil {
		t.Fatalf("Remove(%s) = %v, want nil error", id, err)
	}

	_, err := e.backend.Exec(e.ctx, id, pool.ExecCommand{Cmd: []string{"true"}})
	wantErrorIs(t, "Exec in a removed container", err, pool.ErrContainerNotFound)
}

func testMissingImage(t *testing.T, e *env) {
	spec := e.spec()
	spec.Image = "sandbox-mcp/backendtest-missing:" + strings.ToLower(e.runID)

	id, err := e.backend.Create(e.ctx, spec)
	wantErrorIs(t, "Create with a missing image", err, pool.ErrImageNotFound)
	if id != "" {
		t.Errorf("Create with a missing image returned ID %q, want none", id)
	}
	listed, err := e.backend.List(e.ctx, map[string]string{RunLabel: e.runID})
	if err != nil || len(listed) != 0 {
		t.Errorf("List after a failed Create = %v, %v, want no containers", listed, err)
	}
}
