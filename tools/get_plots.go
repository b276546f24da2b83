package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/invopop/jsonschema"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/sandbox-mcp/sandbox-mcp/artifacts"
)

// getPlotsInput is the input of get_plots.
type getPlotsInput struct {
	SessionID string `json:"session_id" jsonschema:"description=The session_id of the conversation whose plots to return."`
	Run       int    `json:"run,omitempty" jsonschema:"description=Return only the plots of this run: the run number of a run_code result."`
	After     int    `json:"after,omitempty" jsonschema:"description=Return only the plots numbered above this number\\, to page through plots that a result linked instead of showing."`
	Last      int    `json:"last,omitempty" jsonschema:"description=Return only the newest plots\\, this many\\, of those the other arguments select."`
}

// getPlotsOutput is get_plots' structured result.
type getPlotsOutput struct {
	SessionID string       `json:"session_id"`
	Plots     []plotOutput `json:"plots"`
	// Kept and Dropped count the plots the conversation keeps, and those it dropped to stay
	// within its limits.
	Kept    int `json:"kept"`
	Dropped int `json:"dropped,omitempty"`
}

func (s *Server) getPlotsTool() mcp.Tool {
	schema := inputSchema(&getPlotsInput{}, func(js *jsonschema.Schema) {
		for _, name := range []string{"run", "after", "last"} {
			p, _ := js.Properties.Get(name)
			p.Minimum = json.Number("1")
		}
		id, _ := js.Properties.Get("session_id")
		id.MinLength = ptr(uint64(1))
	})
	l := s.plots.Limits
	description := fmt.Sprintf(`Return the plots that run_code calls of a conversation made, oldest first, as images.
With no other argument, every plot the conversation keeps (at most %d, the newest); run,
after and last narrow the selection. A result shows at most %s and %s of images, and links
the other plots as resources. A conversation without plots returns a message, not an error.`,
		l.KeptPlots, artifacts.Count(l.ResultImages, "image"), artifacts.FormatBytes(l.ResultBytes))
	return mcp.NewToolWithRawSchema("get_plots", description, schema)
}

func (s *Server) handleGetPlots(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in getPlotsInput
	if err := req.BindArguments(&in); err != nil {
		return mcp.NewToolResultError("Invalid arguments: " + err.Error()), nil
	}
	c, err := s.conv.acquireOwned(in.SessionID, protocolSessionID(ctx))
	if err != nil {
		return mcp.NewToolResultError(unknownSessionMessage(in.SessionID)), nil
	}
	defer s.conv.release(c)

	selected := c.plots.Select(artifacts.Query{Run: in.Run, After: in.After, Last: in.Last})
	kept, dropped := c.plots.Counts()
	report := s.placePlots(c.id, selected)
	out := getPlotsOutput{SessionID: c.id, Plots: report.outputs, Kept: kept, Dropped: dropped}
	if out.Plots == nil {
		out.Plots = []plotOutput{}
	}
	res := mcp.NewToolResultStructured(out, formatGetPlots(in, selected, kept, dropped, report))
	res.Content = append(res.Content, report.content...)
	return res, nil
}

// formatGetPlots is the text of a get_plots result.
func formatGetPlots(in getPlotsInput, selected []artifacts.Plot, kept, dropped int, report plotReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "session_id: %s\n", in.SessionID)
	switch {
	case kept == 0 && dropped == 0:
		b.WriteString("No plots yet: no run_code call of this conversation has made a plot.\n")
	case len(selected) == 0:
		fmt.Fprintf(&b, "No plots match%s. The conversation keeps %d plots.\n", formatQuery(in), kept)
	default:
		fmt.Fprintf(&b, "plots: %d (%s)%s of %d kept; the images follow this text\n", len(selected), numberRange(selected), formatQuery(in), kept)
	}
	if dropped > 0 {
		fmt.Fprintf(&b, "%d older plots were dropped to stay within the conversation's plot limits.\n", dropped)
	}
	for _, line := range report.lines {
		b.WriteString(line + "\n")
	}
	return b.String()
}

// formatQuery returns the arguments that narrowed a selection, as " run=2, last=3".
func formatQuery(in getPlotsInput) string {
	var parts []string
	for _, arg := range []struct {
		name  string
		value int
	}{{"run", in.Run}, {"after", in.After}, {"last", in.Last}} {
		if arg.value > 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", arg.name, arg.value))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " for " + strings.Join(parts, ", ")
}
