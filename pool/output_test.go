package pool

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCappedBuffer(t *testing.T) {
	tests := []struct {
		name   string
		limit  int64
		writes []string
		want   Output
	}{
		{"under limit", 10, []string{"abc", "de"}, Output{Text: "abcde"}},
		{"exactly limit", 4, []string{"ab", "cd"}, Output{Text: "abcd"}},
		{"keeps head and tail", 4, []string{"abcdefgh"}, Output{Text: "ab\n[... 4 bytes dropped ...]\ngh", Dropped: 4}},
		{"tail wraps in small writes", 4, []string{"ab", "c", "d", "e", "f", "g"}, Output{Text: "ab\n[... 3 bytes dropped ...]\nfg", Dropped: 3}},
		{"odd write sizes", 6, []string{"12345", "6789", "abc"}, Output{Text: "123\n[... 6 bytes dropped ...]\nabc", Dropped: 6}},
		{"invalid utf8 run replaced once", 10, []string{"\xff\xfe ok"}, Output{Text: "\uFFFD ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newCappedBuffer(tt.limit)
			for _, w := range tt.writes {
				n, err := b.Write([]byte(w))
				if n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v, want %d, nil", w, n, err, len(w))
				}
			}
			if diff := cmp.Diff(tt.want, b.Output()); diff != "" {
				t.Errorf("Output() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCappedBufferLargeStream(t *testing.T) {
	b := newCappedBuffer(1 << 10)
	chunk := bytes.Repeat([]byte("x"), 4096)
	for range 1000 {
		b.Write(chunk)
	}
	b.Write([]byte("END"))
	out := b.Output()
	if want := int64(4096*1000 + 3 - 1024); out.Dropped != want {
		t.Errorf("Dropped = %d, want %d", out.Dropped, want)
	}
	if !strings.HasSuffix(out.Text, "xEND") {
		t.Errorf("Text ends with %q, want the stream's last bytes", out.Text[len(out.Text)-10:])
	}
}

func TestCutStatus(t *testing.T) {
	tests := []struct {
		name, in, want string
		status         runStatus
	}{
		{"no status line", "boom\n", "boom\n", runStatus{}},
		{"status after output", "err\n\n\x1esandbox-mcp-status oom_kill=0 pids_max=0\n", "err\n", runStatus{}},
		{"status on empty stderr", "\n\x1esandbox-mcp-status oom_kill=2 pids_max=5\n", "", runStatus{oomKills: 2, pidsMax: 5}},
		{"forged earlier line, real last", "\n\x1esandbox-mcp-status oom_kill=9 pids_max=9\nx\n\x1esandbox-mcp-status oom_kill=0 pids_max=0\n", "\n\x1esandbox-mcp-status oom_kill=9 pids_max=9\nx", runStatus{}},
		{"malformed kept", "\n\x1esandbox-mcp-status oops\n", "\n\x1esandbox-mcp-status oops\n", runStatus{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, status := cutStatus(tt.in)
			if got != tt.want || status != tt.status {
				t.Errorf("cutStatus(%q) = %q, %+v, want %q, %+v", tt.in, got, status, tt.want, tt.status)
			}
		})
	}
}
