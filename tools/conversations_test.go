package tools

import (
	"errors"
	"io"
	"log/slog"
	"regexp"
	"testing"
	"time"
)

func newTestRegistry(idle, maxAge time.Duration) *registry {
	return newRegistry(idle, maxAge, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

func TestConversationIDFormat(t *testing.T) {
	re := regexp.MustCompile(`^s_[A-Za-z0-9_-]{22}$`)
	seen := map[string]bool{}
	for range 100 {
		id := newConversationID()
		if !re.MatchString(id) {
			t.Fatalf("newConversationID() = %q, want s_ and 22 URL-safe characters", id)
		}
		if seen[id] {
			t.Fatalf("newConversationID() repeated %q", id)
		}
		seen[id] = true
	}
}

func TestAcquireResolution(t *testing.T) {
	r := newTestRegistry(0, 0)

	a, err := r.acquire("", "proto-1")
	if err != nil {
		t.Fatal(err)
	}
	r.release(a)
	again, _ := r.acquire("", "proto-1")
	r.release(again)
	if again != a {
		t.Errorf("acquire without id in the same protocol session = %s, want its default %s", again.id, a.id)
	}

	stateless1, _ := r.acquire("", "")
	r.release(stateless1)
	stateless2, _ := r.acquire("", "")
	r.release(stateless2)
	if stateless1 == stateless2 || stateless1 == a {
		t.Errorf("acquire without id or protocol session reused a conversation")
	}

	byID, err := r.acquire(stateless1.id, "proto-1") // stateless conversations are bearer handles
	if err != nil || byID != stateless1 {
		t.Errorf("acquire(%q) = %v, %v, want that conversation", stateless1.id, byID, err)
	}
	r.release(byID)

	if _, err := r.acquire("s_unknown", ""); !errors.Is(err, errUnknownConversation) {
		t.Errorf("acquire(unknown) error = %v, want errUnknownConversation", err)
	}
	for _, caller := range []string{"proto-2", ""} {
		if _, err := r.acquire(a.id, caller); !errors.Is(err, errUnknownConversation) {
			t.Errorf("acquire(conversation of proto-1) from %q = %v, want errUnknownConversation", caller, err)
		}
	}
}

func TestEndProtocolSessionEndsItsConversations(t *testing.T) {
	r := newTestRegistry(0, 0)
	mine, _ := r.acquire("", "proto-1")
	r.release(mine)
	other, _ := r.acquire("", "proto-2")
	r.release(other)

	r.endProtocolSession("proto-1")

	if _, err := r.acquire(mine.id, ""); !errors.Is(err, errUnknownConversation) {
		t.Errorf("conversation of the ended protocol session: acquire error = %v, want errUnknownConversation", err)
	}
	if c, err := r.acquire(other.id, "proto-2"); err != nil {
		t.Errorf("conversation of another protocol session: acquire error = %v, want it alive", err)
	} else {
		r.release(c)
	}
	fresh, _ := r.acquire("", "proto-1")
	if fresh == mine {
		t.Errorf("protocol session reused its ended default conversation")
	}
}

func TestSweep(t *testing.T) {
	r := newTestRegistry(time.Minute, time.Hour)
	idle, _ := r.acquire("", "")
	r.release(idle)
	busy, _ := r.acquire("", "") // stays busy: no release
	fresh, _ := r.acquire("", "")
	r.release(fresh)
	old, _ := r.acquire("", "")
	r.release(old)

	now := time.Now()
	idle.lastUsed = now.Add(-2 * time.Minute)
	busy.lastUsed = now.Add(-2 * time.Minute)
	old.created = now.Add(-2 * time.Hour)
	r.sweep(now)

	for _, tt := range []struct {
		name  string
		c     *conversation
		alive bool
	}{
		{"idle", idle, false},
		{"busy", busy, true},
		{"fresh", fresh, true},
		{"old", old, false},
	} {
		_, err := r.acquire(tt.c.id, "")
		if alive := err == nil; alive != tt.alive {
			t.Errorf("after sweep, %s conversation alive = %v, want %v", tt.name, alive, tt.alive)
		}
	}
}

func TestSweepInterval(t *testing.T) {
	tests := []struct {
		limits []time.Duration
		want   time.Duration
	}{
		{nil, time.Minute},
		{[]time.Duration{30 * time.Minute, 8 * time.Hour}, time.Minute},
		{[]time.Duration{2 * time.Second, 0}, 500 * time.Millisecond},
		{[]time.Duration{time.Millisecond}, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := sweepInterval(tt.limits...); got != tt.want {
			t.Errorf("sweepInterval(%v) = %v, want %v", tt.limits, got, tt.want)
		}
	}
}
