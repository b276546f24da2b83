package tools

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sandbox-mcp/sandbox-mcp/artifacts"
	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

func TestAcquireOwned(t *testing.T) {
	r := newTestRegistry(0, 0)
	inSession, _ := r.acquire("", "proto-1")
	r.release(inSession)
	stateless, _ := r.acquire("", "")
	r.release(stateless)

	tests := []struct {
		name            string
		id              string
		protocolSession string
		wantErr         bool
	}{
		{name: "own protocol session", id: inSession.id, protocolSession: "proto-1"},
		{name: "other protocol session", id: inSession.id, protocolSession: "proto-2", wantErr: true},
		{name: "stateless caller of a session conversation", id: inSession.id, protocolSession: "", wantErr: true},
		{name: "stateless conversation, stateless caller", id: stateless.id, protocolSession: ""},
		{name: "stateless conversation, session caller", id: stateless.id, protocolSession: "proto-2"},
		{name: "empty id", id: "", protocolSession: "proto-1", wantErr: true},
		{name: "unknown id", id: "s_unknown", protocolSession: "proto-1", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := r.acquireOwned(tt.id, tt.protocolSession)
			if (err != nil) != tt.wantErr {
				t.Fatalf("acquireOwned(%q, %q) error = %v, want error %v", tt.id, tt.protocolSession, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, errUnknownConversation) {
					t.Errorf("acquireOwned(%q, %q) error = %v, want errUnknownConversation", tt.id, tt.protocolSession, err)
				}
				return
			}
			r.release(c)
		})
	}
	for _, c := range []*conversation{inSession, stateless} {
		if c.busy != 0 {
			t.Errorf("conversation %s busy = %d after the calls, want 0", c.id, c.busy)
		}
	}
}

func TestStartRunNumbers(t *testing.T) {
	r := newTestRegistry(0, 0)
	a, _ := r.acquire("", "")
	b, _ := r.acquire("", "")
	got := []int{a.startRun(), a.startRun(), b.startRun(), a.startRun()}
	if diff := cmp.Diff([]int{1, 2, 1, 3}, got); diff != "" {
		t.Errorf("startRun() numbers mismatch (-want +got):\n%s", diff)
	}
}

func testPlotServer() *Server {
	python, _ := runtimes.Lookup("python")
	javascript, _ := runtimes.Lookup("javascript")
	limits := artifacts.Limits{MaxSide: 100, ImageBytes: 100, ResultImages: 2, ResultBytes: 150, KeptPlots: 10, KeptBytes: 1000, RunBytes: 1000}
	return &Server{
		languages: map[string]Language{"python": {Runtime: python}, "javascript": {Runtime: javascript}},
		plots:     Plots{Format: artifacts.PNG, Limits: limits},
	}
}

func TestPlacePlotsContent(t *testing.T) {
	s := testPlotServer()
	plots := []artifacts.Plot{
		{Number: 1, Run: 1, MIMEType: "image/png", Data: make([]byte, 60), Width: 100, Height: 50, SourceWidth: 400, SourceHeight: 200},
		{Number: 2, Run: 1, MIMEType: "image/png", Data: make([]byte, 200), Width: 10, Height: 10, SourceWidth: 10, SourceHeight: 10},
		{Number: 3, Run: 1, MIMEType: "image/svg+xml", Data: make([]byte, 50)},
		{Number: 4, Run: 1, MIMEType: "image/png", Data: make([]byte, 10), Width: 10, Height: 10, SourceWidth: 10, SourceHeight: 10},
	}
	report := s.placePlots("s_x", plots)

	var kinds []string
	for _, c := range report.content {
		switch c := c.(type) {
		case mcp.ImageContent:
			kinds = append(kinds, "image "+c.MIMEType)
		case mcp.ResourceLink:
			kinds = append(kinds, "link "+c.URI)
			if c.Size == nil || *c.Size == 0 {
				t.Errorf("link %s has no size", c.URI)
			}
		}
	}
	want := []string{"image image/png", "link sandbox://sessions/s_x/plots/2.png", "image image/svg+xml", "link sandbox://sessions/s_x/plots/4.png"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("placePlots() content mismatch (-want +got):\n%s", diff)
	}
	text := strings.Join(report.lines, "\n")
	for _, wantLine := range []string{
		"plot 1: scaled down from 400x200 to 100x50 pixels",
		"plot 2: linked, not shown, because its 200 bytes exceed the limit of 100 bytes per image: sandbox://sessions/s_x/plots/2.png",
		"plot 4: linked, not shown, because the result already shows 2 images",
		"Linked plots are not shown.",
	} {
		if !strings.Contains(text, wantLine) {
			t.Errorf("placePlots() text lacks %q:\n%s", wantLine, text)
		}
	}
	if strings.Contains(text, "plot 3:") {
		t.Errorf("placePlots() text describes plot 3, which was shown as made:\n%s", text)
	}
}

func TestCapturesPlots(t *testing.T) {
	s := testPlotServer()
	if !s.capturesPlots(s.languages["python"]) || s.capturesPlots(s.languages["javascript"]) {
		t.Errorf("capturesPlots(python, javascript) = %v, %v, want true, false", s.capturesPlots(s.languages["python"]), s.capturesPlots(s.languages["javascript"]))
	}
	s.plots = Plots{}
	if s.anyCapturesPlots() {
		t.Errorf("anyCapturesPlots() with zero Plots = true, want false")
	}
}

func TestPlotFormat(t *testing.T) {
	s := testPlotServer()
	for _, tt := range []struct {
		requested string
		def       artifacts.Format
		want      artifacts.Format
	}{
		{requested: "", def: artifacts.PNG, want: artifacts.PNG},
		{requested: "svg", def: artifacts.PNG, want: artifacts.SVG},
		{requested: "", def: artifacts.SVG, want: artifacts.SVG},
		{requested: "png", def: artifacts.SVG, want: artifacts.PNG},
		{requested: "", def: "", want: artifacts.PNG},
	} {
		s.plots.Format = tt.def
		if got := s.plotFormat(tt.requested); got != tt.want {
			t.Errorf("plotFormat(%q) with default %q = %q, want %q", tt.requested, tt.def, got, tt.want)
		}
	}
}

func TestFormatGetPlotsEmpty(t *testing.T) {
	tests := []struct {
		name          string
		in            getPlotsInput
		kept, dropped int
		want          string
	}{
		{name: "no plots yet", in: getPlotsInput{SessionID: "s_x"}, want: "No plots yet"},
		{name: "none of the run", in: getPlotsInput{SessionID: "s_x", Run: 3, Last: 2}, kept: 4, want: "No plots match for run=3, last=2. The conversation keeps 4 plots."},
		{name: "all dropped", in: getPlotsInput{SessionID: "s_x"}, kept: 0, dropped: 5, want: "5 older plots were dropped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := formatGetPlots(tt.in, nil, tt.kept, tt.dropped, plotReport{})
			if !strings.Contains(text, tt.want) || !strings.HasPrefix(text, "session_id: s_x\n") {
				t.Errorf("formatGetPlots() = %q, want the session_id line and %q", text, tt.want)
			}
		})
	}
}

func TestRunCodeSchemaPlotFormat(t *testing.T) {
	s := testPlotServer()
	s.names = []string{"javascript", "python"}
	s.plots.Format = artifacts.SVG
	var schema struct {
		Properties map[string]struct {
			Enum    []any `json:"enum"`
			Default any   `json:"default"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(s.runCodeTool().RawInputSchema, &schema); err != nil {
		t.Fatal(err)
	}
	format, ok := schema.Properties["plot_format"]
	if !ok {
		t.Fatalf("run_code schema has no plot_format")
	}
	if diff := cmp.Diff([]any{"png", "svg"}, format.Enum); diff != "" {
		t.Errorf("plot_format enum mismatch (-want +got):\n%s", diff)
	}
	if format.Default != "svg" {
		t.Errorf("plot_format default = %q, want the configured svg", format.Default)
	}

	s.plots = Plots{}
	schema.Properties = nil
	if err := json.Unmarshal(s.runCodeTool().RawInputSchema, &schema); err != nil {
		t.Fatal(err)
	}
	if _, ok := schema.Properties["plot_format"]; ok {
		t.Errorf("run_code schema without plot capture has plot_format, want it left out")
	}
	if d := s.runCodeTool().Description; strings.Contains(d, "Plots:") {
		t.Errorf("run_code description without plot capture mentions plots:\n%s", d)
	}
}
