package artifacts

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// pngHeader returns the signature and IHDR chunk of a width×height RGBA PNG, without
// pixel data: enough for image.DecodeConfig, not for image.Decode.
func pngHeader(width, height uint32) []byte {
	var ihdr bytes.Buffer
	ihdr.WriteString("IHDR")
	_ = binary.Write(&ihdr, binary.BigEndian, [2]uint32{width, height})
	ihdr.Write([]byte{8, 6, 0, 0, 0}) // bit depth 8, RGBA, default methods
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	_ = binary.Write(&b, binary.BigEndian, uint32(ihdr.Len()-4))
	b.Write(ihdr.Bytes())
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr.Bytes()))
	return b.Bytes()
}

func TestCollectTooLargeToDecode(t *testing.T) {
	data := pngHeader(10000, 5000)
	plots, notes := Collect([]pool.Artifact{{Name: "huge.png", Data: data}}, false, testLimits())
	if len(plots) != 1 || len(notes) != 0 {
		t.Fatalf("Collect() = %d plots, notes %q, want 1 plot and no notes", len(plots), notes)
	}
	p := plots[0]
	if !p.TooLarge || p.Width != 10000 || !bytes.Equal(p.Data, data) {
		t.Errorf("Collect() plot TooLarge = %v, width %d, same bytes %v; want true, 10000, true", p.TooLarge, p.Width, bytes.Equal(p.Data, data))
	}
	placed := Place(plots, testLimits())
	if placed[0].Inline || !strings.Contains(placed[0].Reason, "too large to scale") {
		t.Errorf("Place(too large) = inline %v, reason %q, want a link that says it is too large to scale", placed[0].Inline, placed[0].Reason)
	}
}

// sized returns a plot of n bytes.
func sized(n int) Plot {
	return Plot{MIMEType: "image/png", Data: make([]byte, n)}
}

func TestPlace(t *testing.T) {
	tests := []struct {
		name        string
		sizes       []int
		wantInline  []bool
		wantReasons []string // substrings, "" for inline
	}{
		{
			name:       "all fit",
			sizes:      []int{500, 500, 500},
			wantInline: []bool{true, true, true},
		},
		{
			name:        "count limit",
			sizes:       []int{10, 10, 10, 10, 10},
			wantInline:  []bool{true, true, true, false, false},
			wantReasons: []string{"", "", "", "already shows 3 images", "already shows 3 images"},
		},
		{
			name:        "image byte limit, then a smaller one fits",
			sizes:       []int{1001, 200},
			wantInline:  []bool{false, true},
			wantReasons: []string{"1001 bytes exceed the limit of 1000 bytes per image", ""},
		},
		{
			name:        "result byte limit",
			sizes:       []int{1000, 1000, 600, 400},
			wantInline:  []bool{true, true, false, true},
			wantReasons: []string{"", "", "over the limit of 2.4 KiB per result", ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plots []Plot
			for _, n := range tt.sizes {
				plots = append(plots, sized(n))
			}
			placed := Place(plots, testLimits())
			var inline []bool
			for i, p := range placed {
				inline = append(inline, p.Inline)
				want := ""
				if tt.wantReasons != nil {
					want = tt.wantReasons[i]
				}
				if (want == "") != (p.Reason == "") || !strings.Contains(p.Reason, want) {
					t.Errorf("Place() plot %d reason = %q, want it to contain %q", i, p.Reason, want)
				}
			}
			if diff := cmp.Diff(tt.wantInline, inline); diff != "" {
				t.Errorf("Place() inline mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
