package artifacts

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/image/tiff"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

var (
	red  = color.RGBA{R: 255, A: 255}
	blue = color.RGBA{B: 255, A: 255}
)

// halves returns a width×height image, red in its left half and blue in its right.
func halves(width, height int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			c := red
			if x >= width/2 {
				c = blue
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodeWith(t testing.TB, img image.Image, encode func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testLimits() Limits {
	return Limits{MaxSide: 100, ImageBytes: 1000, ResultImages: 3, ResultBytes: 2500, KeptPlots: 4, KeptBytes: 10000, RunBytes: 1 << 20}
}

func TestFitSize(t *testing.T) {
	tests := []struct {
		name                string
		width, height, side int
		wantW, wantH        int
	}{
		{name: "square", width: 4000, height: 4000, side: 1568, wantW: 1568, wantH: 1568},
		{name: "landscape", width: 3000, height: 1500, side: 1568, wantW: 1568, wantH: 784},
		{name: "portrait", width: 1000, height: 3000, side: 1500, wantW: 500, wantH: 1500},
		{name: "rounded", width: 2000, height: 999, side: 1000, wantW: 1000, wantH: 500},
		{name: "thin stays one pixel", width: 100000, height: 2, side: 1000, wantW: 1000, wantH: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h := fitSize(tt.width, tt.height, tt.side)
			if w != tt.wantW || h != tt.wantH {
				t.Errorf("fitSize(%d, %d, %d) = %d, %d, want %d, %d", tt.width, tt.height, tt.side, w, h, tt.wantW, tt.wantH)
			}
		})
	}
}

func TestCollectScalesLargePNG(t *testing.T) {
	data := encodePNG(t, halves(400, 200))
	plots, notes := Collect([]pool.Artifact{{Name: "a.png", Data: data}}, false, testLimits())
	if len(plots) != 1 || len(notes) != 0 {
		t.Fatalf("Collect() = %d plots, notes %q, want 1 plot and no notes", len(plots), notes)
	}
	p := plots[0]
	if p.Width != 100 || p.Height != 50 || p.SourceWidth != 400 || p.SourceHeight != 200 || !p.Scaled() {
		t.Errorf("Collect() plot = %d×%d from %d×%d, Scaled() = %v, want 100×50 from 400×200, true", p.Width, p.Height, p.SourceWidth, p.SourceHeight, p.Scaled())
	}
	img, err := png.Decode(bytes.NewReader(p.Data))
	if err != nil {
		t.Fatalf("png.Decode(plot) = %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(100, 50) {
		t.Errorf("decoded plot size = %v, want (100,50)", got)
	}
	for _, tt := range []struct {
		x    int
		want color.RGBA
	}{{x: 10, want: red}, {x: 40, want: red}, {x: 60, want: blue}, {x: 90, want: blue}} {
		if got := color.RGBAModel.Convert(img.At(tt.x, 25)).(color.RGBA); got != tt.want {
			t.Errorf("scaled plot pixel at (%d, 25) = %v, want %v", tt.x, got, tt.want)
		}
	}
}

func TestCollectFormats(t *testing.T) {
	small := halves(80, 40)
	large := halves(300, 30)
	svg := []byte(`<?xml version="1.0" encoding="utf-8" standalone="no"?>
<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">
<svg xmlns="http://www.w3.org/2000/svg" width="460pt" height="345pt"></svg>`)
	tests := []struct {
		name           string
		data           []byte
		wantMIME       string
		wantW, wantH   int
		wantSameBytes  bool
		wantNotePrefix string
	}{
		{name: "small PNG unchanged", data: encodePNG(t, small), wantMIME: "image/png", wantW: 80, wantH: 40, wantSameBytes: true},
		{name: "small JPEG unchanged", data: encodeWith(t, small, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) }), wantMIME: "image/jpeg", wantW: 80, wantH: 40, wantSameBytes: true},
		{name: "large JPEG scaled to PNG", data: encodeWith(t, large, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) }), wantMIME: "image/png", wantW: 100, wantH: 10},
		{name: "small GIF unchanged", data: encodeWith(t, small, func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }), wantMIME: "image/gif", wantW: 80, wantH: 40, wantSameBytes: true},
		{name: "TIFF converted to PNG", data: encodeWith(t, small, func(b *bytes.Buffer, m image.Image) error { return tiff.Encode(b, m, nil) }), wantMIME: "image/png", wantW: 80, wantH: 40},
		{name: "SVG unchanged", data: svg, wantMIME: "image/svg+xml", wantSameBytes: true},
		{name: "text is not a plot", data: []byte("hello"), wantNotePrefix: `The file "f" that the run left for plots is left out: not an image`},
		{name: "truncated PNG is not a plot", data: encodePNG(t, small)[:20], wantNotePrefix: `The file "f" that the run left for plots is left out`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plots, notes := Collect([]pool.Artifact{{Name: "f", Data: tt.data}}, false, testLimits())
			if tt.wantNotePrefix != "" {
				if len(plots) != 0 || len(notes) != 1 || !strings.HasPrefix(notes[0], tt.wantNotePrefix) {
					t.Errorf("Collect() = %d plots, notes %q, want no plot and a note starting %q", len(plots), notes, tt.wantNotePrefix)
				}
				return
			}
			if len(plots) != 1 || len(notes) != 0 {
				t.Fatalf("Collect() = %d plots, notes %q, want 1 plot and no notes", len(plots), notes)
			}
			p := plots[0]
			if p.MIMEType != tt.wantMIME || p.Width != tt.wantW || p.Height != tt.wantH {
				t.Errorf("Collect() plot = %s %d×%d, want %s %d×%d", p.MIMEType, p.Width, p.Height, tt.wantMIME, tt.wantW, tt.wantH)
			}
			if same := bytes.Equal(p.Data, tt.data); same != tt.wantSameBytes {
				t.Errorf("Collect() kept the file's bytes = %v, want %v", same, tt.wantSameBytes)
			}
			if p.MIMEType == "image/png" {
				if _, err := png.Decode(bytes.NewReader(p.Data)); err != nil {
					t.Errorf("png.Decode(plot) = %v", err)
				}
			}
		})
	}
}

func TestCollectKeepsOrderAndReportsLeftovers(t *testing.T) {
	a, b := encodePNG(t, halves(10, 10)), encodePNG(t, halves(20, 10))
	files := []pool.Artifact{
		{Name: ".003-0001.png", Data: a[:10]},
		{Name: "001-0001.png", Data: a},
		{Name: "002-0001.png", Data: b},
		{Name: "capture-errors.txt", Data: []byte("saving a figure: ValueError: bad\n")},
	}
	plots, notes := Collect(files, true, testLimits())
	var widths []int
	for _, p := range plots {
		widths = append(widths, p.Width)
	}
	if diff := cmp.Diff([]int{10, 20}, widths); diff != "" {
		t.Errorf("Collect() plot widths mismatch (-want +got):\n%s", diff)
	}
	want := []string{
		"Plot capture failed: saving a figure: ValueError: bad",
		"1 plot files are left out because they were still being written when the run was stopped.",
		"Some plots are left out because the run's plot files exceed 1 MiB in all, the limit per run. Make fewer or smaller figures.",
	}
	if diff := cmp.Diff(want, notes); diff != "" {
		t.Errorf("Collect() notes mismatch (-want +got):\n%s", diff)
	}
}

func TestCaptureFailuresBounded(t *testing.T) {
	data := []byte(strings.Repeat("x", 400) + "\n" + strings.Repeat("failure\n", 9))
	notes := captureFailures(data)
	if len(notes) != maxFailureLines+1 {
		t.Fatalf("captureFailures() = %d notes, want %d", len(notes), maxFailureLines+1)
	}
	if got := len(notes[0]); got > maxFailureLength+len("Plot capture failed: ...") {
		t.Errorf("captureFailures() first note is %d bytes, want it cut near %d", got, maxFailureLength)
	}
	if got, want := notes[maxFailureLines], "Plot capture failed 5 more times."; got != want {
		t.Errorf("captureFailures() last note = %q, want %q", got, want)
	}
}

func TestIsSVG(t *testing.T) {
	tests := []struct {
		name string
		data string
		want bool
	}{
		{name: "bare", data: `<svg xmlns="http://www.w3.org/2000/svg"/>`, want: true},
		{name: "matplotlib prolog", data: "<?xml version=\"1.0\"?>\n<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\" \"x\">\n<svg\n>", want: true},
		{name: "byte order mark", data: "\xef\xbb\xbf<svg>", want: true},
		{name: "comment first", data: "<!-- made by hand -->\n<svg>", want: true},
		{name: "html", data: "<html><svg></svg></html>", want: false},
		{name: "svgz name only", data: "<svgfoo>", want: false},
		{name: "empty", data: "", want: false},
		{name: "unterminated prolog", data: "<?xml", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isSVG([]byte(tt.data)); got != tt.want {
				t.Errorf("isSVG(%q) = %v, want %v", tt.data, got, tt.want)
			}
		})
	}
}

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want string
	}{{0, "0 images"}, {1, "1 image"}, {8, "8 images"}} {
		if got := Count(tt.n, "image"); got != tt.want {
			t.Errorf("Count(%d, image) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{n: 900, want: "900 bytes"},
		{n: 1024, want: "1 KiB"},
		{n: 1536, want: "1.5 KiB"},
		{n: 512 << 10, want: "512 KiB"},
		{n: 3 << 20, want: "3 MiB"},
	}
	for _, tt := range tests {
		if got := FormatBytes(tt.n); got != tt.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// BenchmarkCollectScale measures Collect on one 4000x4000 PNG, mostly white with a
// diagonal line like a large plot, scaled down to 1568 pixels: decoding, scaling and
// encoding on the server.
func BenchmarkCollectScale(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 4000, 4000))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for x := range 4000 {
		img.SetRGBA(x, x, blue)
	}
	files := []pool.Artifact{{Name: "large.png", Data: encodePNG(b, img)}}
	limits := testLimits()
	limits.MaxSide = 1568
	for b.Loop() {
		plots, _ := Collect(files, false, limits)
		if len(plots) != 1 || plots[0].Width != 1568 {
			b.Fatalf("Collect() = %d plots, want one 1568 pixels wide", len(plots))
		}
	}
}
