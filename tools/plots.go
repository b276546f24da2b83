package tools

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/invopop/jsonschema"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/sandbox-mcp/sandbox-mcp/artifacts"
	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// Plots configures plot capture. The zero value captures no plots and leaves get_plots
// and the plot resources out.
type Plots struct {
	// Format is the format of captured figures unless a run_code call requests another.
	// Empty means PNG.
	Format artifacts.Format
	// Limits bound the plots. Capture is on when Limits.RunBytes is greater than zero,
	// and then every field must be greater than zero.
	Limits artifacts.Limits
}

// plotOutput describes one plot in a structured result.
type plotOutput struct {
	Number   int    `json:"number"`
	Run      int    `json:"run"`
	URI      string `json:"uri"`
	MIMEType string `json:"mime_type"`
	Bytes    int    `json:"bytes"`
	Width    int    `json:"width,omitempty"`
	Height   int    `json:"height,omitempty"`
	// ScaledFrom is the size the run made, as "4000x4000", when the plot was scaled down.
	ScaledFrom string `json:"scaled_from,omitempty"`
	// Shown reports that the result carries the plot as image content. Otherwise it
	// carries a resource link, and LinkedBecause gives the reason.
	Shown         bool   `json:"shown"`
	LinkedBecause string `json:"linked_because,omitempty"`
}

// plotReport is the plot part of a result: structured entries, lines of text, and the
// image and resource link content that follows the text.
type plotReport struct {
	outputs []plotOutput
	lines   []string
	content []mcp.Content
}

// capturesPlots reports whether runs of lang capture their plots.
func (s *Server) capturesPlots(lang Language) bool {
	return s.plots.Limits.RunBytes > 0 && artifacts.Captures(lang.Runtime.Name)
}

// anyCapturesPlots reports whether any language captures plots.
func (s *Server) anyCapturesPlots() bool {
	for _, l := range s.languages {
		if s.capturesPlots(l) {
			return true
		}
	}
	return false
}

// plotFormat returns the format a run_code call requests, or the default.
func (s *Server) plotFormat(requested string) artifacts.Format {
	if f, ok := artifacts.ParseFormat(requested); ok {
		return f
	}
	if s.plots.Format != "" {
		return s.plots.Format
	}
	return artifacts.PNG
}

// runRequest adds plot capture to req, a run of lang, when lang captures plots.
func (s *Server) runRequest(lang Language, format artifacts.Format, req pool.RunRequest) pool.RunRequest {
	if s.capturesPlots(lang) {
		req.Env = artifacts.MergeEnv(req.Env, artifacts.Env(lang.Runtime.Name, format))
		req.ArtifactBytes = s.plots.Limits.RunBytes
	}
	return req
}

// collectPlots turns the files run left into plots, stores them in c, and reports them.
func (s *Server) collectPlots(c *conversation, run int, lang Language, r pool.RunResult) plotReport {
	if !s.capturesPlots(lang) {
		return plotReport{}
	}
	limits := s.plots.Limits
	plots, notes := artifacts.Collect(r.Artifacts, r.ArtifactsDropped, limits)
	if len(notes) > 0 {
		s.log.Debug("run left plot files that are not plots", "session_id", c.id, "run", run, "notes", len(notes))
	}
	kept, dropped := c.plots.Add(run, plots, limits)
	if dropped > 0 {
		notes = append(notes, fmt.Sprintf("The first %d plots of this run are dropped: a conversation keeps at most %d plots and %s of plots.",
			dropped, limits.KeptPlots, artifacts.FormatBytes(limits.KeptBytes)))
	}
	report := s.placePlots(c.id, kept)
	if len(kept) > 0 {
		header := fmt.Sprintf("plots: %d (%s, run %d); the images follow this text", len(kept), numberRange(kept), run)
		report.lines = append([]string{header}, report.lines...)
	}
	report.lines = append(report.lines, notes...)
	return report
}

// placePlots builds the content that carries plots within the result limits: an image for
// each plot that fits, a resource link for each other, and a line of text for each plot
// that was scaled or linked.
func (s *Server) placePlots(sessionID string, plots []artifacts.Plot) plotReport {
	var report plotReport
	linked := 0
	for _, pl := range artifacts.Place(plots, s.plots.Limits) {
		out := newPlotOutput(sessionID, pl)
		report.outputs = append(report.outputs, out)
		if pl.Inline {
			report.content = append(report.content, mcp.NewImageContent(base64.StdEncoding.EncodeToString(pl.Plot.Data), pl.Plot.MIMEType))
		} else {
			report.content = append(report.content, plotLink(out, pl.Plot.Extension()))
			linked++
		}
		if line := describePlot(out); line != "" {
			report.lines = append(report.lines, line)
		}
	}
	if linked > 0 {
		report.lines = append(report.lines, "Linked plots are not shown. Read them with resources/read, or call get_plots with after set to the number of the last plot you saw.")
	}
	return report
}

func newPlotOutput(sessionID string, pl artifacts.Placement) plotOutput {
	p := pl.Plot
	out := plotOutput{
		Number:        p.Number,
		Run:           p.Run,
		URI:           artifacts.URI(sessionID, p),
		MIMEType:      p.MIMEType,
		Bytes:         len(p.Data),
		Width:         p.Width,
		Height:        p.Height,
		Shown:         pl.Inline,
		LinkedBecause: pl.Reason,
	}
	if p.Scaled() {
		out.ScaledFrom = fmt.Sprintf("%dx%d", p.SourceWidth, p.SourceHeight)
	}
	return out
}

func plotLink(out plotOutput, extension string) mcp.ResourceLink {
	name := fmt.Sprintf("plot-%d.%s", out.Number, extension)
	description := fmt.Sprintf("Plot %d of run %d, not shown because %s.", out.Number, out.Run, out.LinkedBecause)
	link := mcp.NewResourceLink(out.URI, name, description, out.MIMEType)
	size := int64(out.Bytes)
	link.Size = &size
	return link
}

// describePlot returns the line of text for a plot that was scaled or linked, or "".
func describePlot(out plotOutput) string {
	var parts []string
	if out.ScaledFrom != "" {
		parts = append(parts, fmt.Sprintf("scaled down from %s to %dx%d pixels", out.ScaledFrom, out.Width, out.Height))
	}
	if !out.Shown {
		parts = append(parts, fmt.Sprintf("linked, not shown, because %s: %s", out.LinkedBecause, out.URI))
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("plot %d: %s", out.Number, strings.Join(parts, "; "))
}

// numberRange returns "plot 3" or "plots 3-7" for plots, which are numbered in sequence.
func numberRange(plots []artifacts.Plot) string {
	first, last := plots[0].Number, plots[len(plots)-1].Number
	if first == last {
		return fmt.Sprintf("plot %d", first)
	}
	return fmt.Sprintf("plots %d-%d", first, last)
}

// addPlotFormat publishes run_code's plot_format argument with its default, or removes it
// when no language captures plots.
func (s *Server) addPlotFormat(js *jsonschema.Schema) {
	if !s.anyCapturesPlots() {
		js.Properties.Delete("plot_format")
		return
	}
	format, _ := js.Properties.Get("plot_format")
	format.Default = string(s.plotFormat(""))
}

// plotDescription is the part of run_code's description about plots.
func (s *Server) plotDescription() string {
	if !s.anyCapturesPlots() {
		return ""
	}
	return fmt.Sprintf(`
Plots: a Python program's matplotlib figures (also through pandas or seaborn) come back as
images after the text, without plt.savefig: each figure open at plt.show() or at the end
of the program, and each image file written with savefig. Raster plots are scaled to at
most %d pixels per side. A result shows at most %s and %s of images, and links the
other plots as resources. get_plots returns the plots again, also those of one run.
JavaScript programs return no plots.`, s.plots.Limits.MaxSide, artifacts.Count(s.plots.Limits.ResultImages, "image"), artifacts.FormatBytes(s.plots.Limits.ResultBytes))
}
