package pool

import (
	"os"
	"path/filepath"
	"testing"
)

func TestInstanceCheck(t *testing.T) {
	dir := t.TempDir()
	self, err := NewInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	live, err := NewInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	const dead = "00000000000000aa"
	if err := os.WriteFile(filepath.Join(dir, dead+".lock"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, id, host string
		want           Liveness
	}{
		{"live sibling", live.ID, self.Host, Alive},
		{"dead sibling", dead, self.Host, Gone},
		{"no lock file", "00000000000000bb", self.Host, Unknown},
		{"other host", dead, "elsewhere", Unknown},
		{"malformed id", "../x", self.Host, Unknown},
	}
	for _, tt := range tests {
		if got := self.Check(tt.id, tt.host); got != tt.want {
			t.Errorf("Check(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := self.Check(dead, self.Host); got != Gone {
		t.Errorf("second Check(dead sibling) = %v, want %v: the lock file must stay", got, Gone)
	}

	if err := self.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, self.ID+".lock")); !os.IsNotExist(err) {
		t.Errorf("lock file after Close: %v, want it deleted", err)
	}
}
