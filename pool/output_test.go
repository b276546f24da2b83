package pool

import (
	"archive/tar"
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
		{"status after output", "err\n\n\x1esandbox-mcp-status oom_kill=0 pids_max=0 artifacts=3\n", "err\n", runStatus{artifacts: 3}},
		{"status on empty stderr", "\n\x1esandbox-mcp-status oom_kill=2 pids_max=5 artifacts=0\n", "", runStatus{oomKills: 2, pidsMax: 5}},
		{"forged earlier line, real last", "\n\x1esandbox-mcp-status oom_kill=9 pids_max=9 artifacts=0\nx\n\x1esandbox-mcp-status oom_kill=0 pids_max=0 artifacts=0\n", "\n\x1esandbox-mcp-status oom_kill=9 pids_max=9 artifacts=0\nx", runStatus{}},
		{"child output after status kept", "a\n\n\x1esandbox-mcp-status oom_kill=0 pids_max=0 artifacts=0\nchild\n", "a\nchild\n", runStatus{}},
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

func TestReadArtifacts(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, size int) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(size), Typeflag: tar.TypeReg})
		tw.Write(bytes.Repeat([]byte("a"), size))
	}
	tw.WriteHeader(&tar.Header{Name: "./", Mode: 0o755, Typeflag: tar.TypeDir})
	add("./002.png", 10)
	add("./001.png", 10)
	add("./003.png", 100)
	add("./004.png", 5)
	tw.Close()

	got, dropped := readArtifacts(buf.Bytes(), 30)
	var names []string
	for _, a := range got {
		names = append(names, a.Name)
	}
	if diff := cmp.Diff([]string{"001.png", "002.png", "004.png"}, names); diff != "" || !dropped {
		t.Errorf("readArtifacts(limit 30) names mismatch (-want +got):\n%s dropped = %v, want true", diff, dropped)
	}

	truncated, dropped := readArtifacts(buf.Bytes()[:3100], 1000) // cut inside 003.png
	if len(truncated) != 2 || !dropped {
		t.Errorf("readArtifacts(truncated archive) = %d files, dropped %v, want 2 files and dropped", len(truncated), dropped)
	}
}
