package config

import (
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{name: "plain bytes", in: "1048576", want: 1 << 20},
		{name: "bytes unit", in: "100B", want: 100},
		{name: "KiB", in: "64KiB", want: 64 << 10},
		{name: "MiB", in: "512MiB", want: 512 << 20},
		{name: "GiB", in: "1GiB", want: 1 << 30},
		{name: "TiB", in: "2TiB", want: 2 << 40},
		{name: "fraction", in: "1.5GiB", want: 3 << 29},
		{name: "space before unit", in: "512 MiB", want: 512 << 20},
		{name: "surrounding space", in: " 64KiB ", want: 64 << 10},
		{name: "zero", in: "0", want: 0},
		{name: "fraction of a byte", in: "0.3KiB", wantErr: true},
		{name: "decimal unit", in: "512MB", wantErr: true},
		{name: "lower case unit", in: "512mib", wantErr: true},
		{name: "docker style", in: "512m", wantErr: true},
		{name: "negative", in: "-1MiB", wantErr: true},
		{name: "empty", in: "", wantErr: true},
		{name: "unit only", in: "MiB", wantErr: true},
		{name: "overflow", in: "9000000TiB", wantErr: true},
		{name: "exponent", in: "1e3", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSize(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSize(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("ParseSize(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{in: 0, want: "0"},
		{in: 1000, want: "1000"},
		{in: 1024, want: "1KiB"},
		{in: 1536, want: "1536"},
		{in: 64 * KiB, want: "64KiB"},
		{in: 512 * MiB, want: "512MiB"},
		{in: 1536 * MiB, want: "1536MiB"},
		{in: 2 * GiB, want: "2GiB"},
		{in: 3 * TiB, want: "3TiB"},
	}
	for _, tt := range tests {
		if got := FormatSize(tt.in); got != tt.want {
			t.Errorf("FormatSize(%d) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := ParseSize(FormatSize(tt.in)); err != nil || back != tt.in {
			t.Errorf("ParseSize(FormatSize(%d)) = %d, %v, want %d, nil", tt.in, back, err, tt.in)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{in: 0, want: "0s"},
		{in: 300 * time.Millisecond, want: "300ms"},
		{in: 30 * time.Second, want: "30s"},
		{in: 90 * time.Second, want: "1m30s"},
		{in: 5 * time.Minute, want: "5m"},
		{in: 10 * time.Minute, want: "10m"},
		{in: 8 * time.Hour, want: "8h"},
		{in: 90 * time.Minute, want: "1h30m"},
		{in: time.Hour + time.Second, want: "1h0m1s"},
		{in: -5 * time.Second, want: "-5s"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.in); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
		if back, err := time.ParseDuration(formatDuration(tt.in)); err != nil || back != tt.in {
			t.Errorf("time.ParseDuration(formatDuration(%v)) = %v, %v, want %v, nil", tt.in, back, err, tt.in)
		}
	}
}
