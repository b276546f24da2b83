// Package artifacts turns the files a run leaves in its artifact directory into plots that
// tool results can carry. It provides the support files that make Python's matplotlib save
// figures there, decodes and scales the images the server collects, decides which plots a
// result shows inline and which it links, and keeps each conversation's plots in a Store.
// It does not depend on MCP.
package artifacts

import "strings"

// Format is the file format that captured figures are saved in.
type Format string

const (
	// PNG is the default format: a raster image that every client with image support shows.
	PNG Format = "png"
	// SVG is a vector image. Some clients cannot show image/svg+xml.
	SVG Format = "svg"
)

// Formats lists the formats, the default first.
var Formats = []Format{PNG, SVG}

// ParseFormat returns the format called name, compared without case.
func ParseFormat(name string) (Format, bool) {
	f := Format(strings.ToLower(strings.TrimSpace(name)))
	return f, f == PNG || f == SVG
}

// Limits bound the plots of runs and conversations. Every field must be greater than zero.
type Limits struct {
	// MaxSide is the longest side of a raster plot, in pixels. A larger plot is scaled down
	// to it, keeping its aspect ratio. SVG plots are not scaled.
	MaxSide int
	// ImageBytes caps one image shown inline in a result. A larger plot is linked.
	ImageBytes int64
	// ResultImages caps the images shown inline in one result. The plots past it are linked.
	ResultImages int
	// ResultBytes caps the image bytes shown inline in one result, counted before base64
	// encoding, which adds a third. The plots that would cross it are linked.
	ResultBytes int64
	// KeptPlots caps the plots a conversation keeps. The oldest are dropped first.
	KeptPlots int
	// KeptBytes caps the bytes of the plots a conversation keeps. The oldest are dropped
	// first, but the newest plot is always kept.
	KeptBytes int64
	// RunBytes caps the files collected from one run's artifact directory, before scaling.
	RunBytes int64
}
