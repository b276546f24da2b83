package artifacts

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif"  // registers GIF decoding
	_ "image/jpeg" // registers JPEG decoding
	"image/png"
	"path"
	"strings"

	_ "golang.org/x/image/tiff" // registers TIFF decoding
	_ "golang.org/x/image/webp" // registers WebP decoding

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// maxDecodeBytes bounds the memory of one decoded image: 4 bytes per pixel, or 8 for
// 16-bit color models, so 16 megapixels of 8-bit RGBA. A larger raster plot is kept
// unscaled and only ever linked. Matplotlib draws up to 65536 pixels per side, and a PNG
// of a plain color compresses to a few hundred kilobytes, so a small file can pass it.
const maxDecodeBytes = 64 << 20

// decodeSlots lets one image at a time be decoded in the whole server, so that several
// conversations cannot add up their decodes past maxDecodeBytes each.
var decodeSlots = make(chan struct{}, 1)

// decodedBytes estimates the memory of decoding an image of cfg.
func decodedBytes(cfg image.Config) int64 {
	perPixel := int64(4)
	switch cfg.ColorModel {
	case color.RGBA64Model, color.NRGBA64Model, color.Gray16Model:
		perPixel = 8
	}
	return int64(cfg.Width) * int64(cfg.Height) * perPixel
}

// Plot is one image a run made.
type Plot struct {
	// Number is the plot's number in its conversation, from 1. Store.Add sets it.
	Number int
	// Run is the number of the run that made the plot. Store.Add sets it.
	Run int
	// MIMEType is image/png, image/jpeg, image/gif, image/webp or image/svg+xml.
	MIMEType string
	Data     []byte
	// Width and Height are the size in pixels, zero for SVG.
	Width, Height int
	// SourceWidth and SourceHeight are the size the run made, before scaling.
	SourceWidth, SourceHeight int
	// TooLarge reports a raster plot over the pixel limit that was not scaled, because
	// decoding it would take too much memory. Results only ever link it.
	TooLarge bool
}

// Scaled reports whether the plot was scaled down from the size the run made.
func (p Plot) Scaled() bool {
	return p.Width != p.SourceWidth || p.Height != p.SourceHeight
}

// Extension returns the file name extension of the plot's format, such as "png".
func (p Plot) Extension() string {
	return extensions[p.MIMEType]
}

const svgMIMEType = "image/svg+xml"

var extensions = map[string]string{
	"image/png":  "png",
	"image/jpeg": "jpg",
	"image/gif":  "gif",
	"image/webp": "webp",
	svgMIMEType:  "svg",
}

// mimeTypes maps the format names of image.DecodeConfig to the MIME types that results
// carry as they are. TIFF is missing: few clients show it, so it is converted to PNG.
var mimeTypes = map[string]string{
	"png":  "image/png",
	"jpeg": "image/jpeg",
	"gif":  "image/gif",
	"webp": "image/webp",
}

// errNotImage is returned by newPlot for data in no format it reads.
var errNotImage = errors.New("not an image in PNG, JPEG, GIF, WebP, TIFF or SVG format")

// Collect turns the files of one run's artifact directory, sorted by name as pool.Run
// returns them, into plots in the same order, which is the order the figures were
// created. Raster plots are scaled down to limits.MaxSide. truncated reports that files
// were left out because together they exceeded limits.RunBytes. The notes tell the model
// about every file that did not become a plot, and about capture failures.
func Collect(files []pool.Artifact, truncated bool, limits Limits) ([]Plot, []string) {
	var plots []Plot
	var notes []string
	incomplete := 0
	for _, f := range files {
		switch base := path.Base(f.Name); {
		case base == errorsFile:
			notes = append(notes, captureFailures(f.Data)...)
		case strings.HasPrefix(base, "."):
			incomplete++
		default:
			p, err := newPlot(f.Data, limits.MaxSide)
			if err != nil {
				notes = append(notes, fmt.Sprintf("The file %q that the run left for plots is left out: %v.", f.Name, err))
				continue
			}
			plots = append(plots, p)
		}
	}
	if incomplete > 0 {
		notes = append(notes, fmt.Sprintf("%d plot files are left out because they were still being written when the run was stopped.", incomplete))
	}
	if truncated {
		notes = append(notes, fmt.Sprintf("Some plots are left out because the run's plot files exceed %s in all, the limit per run. Make fewer or smaller figures.", FormatBytes(limits.RunBytes)))
	}
	return plots, notes
}

// maxFailureLines and maxFailureLength bound what capture failures put into a result.
const (
	maxFailureLines  = 5
	maxFailureLength = 300
)

// captureFailures turns the lines of the capture code's error file into notes.
func captureFailures(data []byte) []string {
	var notes []string
	lines := strings.Split(strings.TrimSpace(string(bytes.ToValidUTF8(data, []byte("?")))), "\n")
	for i, line := range lines {
		if i == maxFailureLines {
			notes = append(notes, fmt.Sprintf("Plot capture failed %d more times.", len(lines)-i))
			break
		}
		if len(line) > maxFailureLength {
			line = strings.ToValidUTF8(line[:maxFailureLength], "") + "..."
		}
		notes = append(notes, "Plot capture failed: "+line)
	}
	return notes
}

// newPlot decodes data as far as needed, scales a raster image whose longest side is over
// maxSide, and converts TIFF to PNG.
func newPlot(data []byte, maxSide int) (Plot, error) {
	if isSVG(data) {
		return Plot{MIMEType: svgMIMEType, Data: data}, nil
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Plot{}, errNotImage
	}
	p := Plot{
		MIMEType: mimeTypes[format],
		Data:     data,
		Width:    cfg.Width, Height: cfg.Height,
		SourceWidth: cfg.Width, SourceHeight: cfg.Height,
	}
	oversize := max(cfg.Width, cfg.Height) > maxSide
	if !oversize && p.MIMEType != "" {
		return p, nil
	}
	if decodedBytes(cfg) > maxDecodeBytes {
		if p.MIMEType == "" {
			return Plot{}, fmt.Errorf("the %s image of %d×%d pixels is too large to convert", strings.ToUpper(format), cfg.Width, cfg.Height)
		}
		p.TooLarge = true
		return p, nil
	}
	return reencode(p, format, maxSide)
}

// reencode decodes p, scales it down to maxSide when it is larger, and encodes it as PNG.
func reencode(p Plot, format string, maxSide int) (Plot, error) {
	decodeSlots <- struct{}{}
	defer func() { <-decodeSlots }()
	img, _, err := image.Decode(bytes.NewReader(p.Data))
	if err != nil {
		return Plot{}, fmt.Errorf("decoding the %s image failed: %w", strings.ToUpper(format), err)
	}
	if max(p.Width, p.Height) > maxSide {
		img = scaleDown(img, maxSide)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Plot{}, fmt.Errorf("encoding the image as PNG failed: %w", err)
	}
	p.MIMEType, p.Data = "image/png", buf.Bytes()
	p.Width, p.Height = img.Bounds().Dx(), img.Bounds().Dy()
	return p, nil
}

// isSVG reports whether data starts like an SVG document: after an optional byte order
// mark, XML declaration, comments and doctype, its first element is svg.
func isSVG(data []byte) bool {
	head := data[:min(len(data), 4096)]
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	for {
		head = bytes.TrimLeft(head, " \t\r\n")
		if !bytes.HasPrefix(head, []byte("<?")) && !bytes.HasPrefix(head, []byte("<!")) {
			break
		}
		end := bytes.IndexByte(head, '>')
		if end < 0 {
			return false
		}
		head = head[end+1:]
	}
	return bytes.HasPrefix(head, []byte("<svg")) && len(head) > 4 && strings.ContainsRune(" \t\r\n>/", rune(head[4]))
}

// FormatBytes formats n bytes for a message, such as "512 KiB" or "1.5 MiB".
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<20))) + " MiB"
	case n >= 1<<10:
		return trimZero(fmt.Sprintf("%.1f", float64(n)/(1<<10))) + " KiB"
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// Count returns n and noun, in the plural unless n is 1, such as "1 image" or "8 images".
func Count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func trimZero(s string) string {
	return strings.TrimSuffix(s, ".0")
}
