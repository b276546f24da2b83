package tools

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/sandbox-mcp/sandbox-mcp/artifacts"
)

func plotTemplate() mcp.ResourceTemplate {
	return mcp.NewResourceTemplate(artifacts.URITemplate, "plot",
		mcp.WithTemplateTitle("Plot of a conversation"),
		mcp.WithTemplateDescription("A plot that a run_code call made, numbered in its conversation. run_code and get_plots results link the plots they do not show. Only the conversation's own client can read them."))
}

// handleReadPlot serves a plot resource. A conversation started in a protocol session is
// unknown to every other protocol session. A stateless request belongs to no protocol
// session, so it reads only the plots of conversations that stateless requests started,
// and for those the session_id in the URI is the only credential.
func (s *Server) handleReadPlot(ctx context.Context, req mcp.ReadResourceRequest) ([]mcp.ResourceContents, error) {
	uri := req.Params.URI
	id, number, extension, err := artifacts.ParseURI(uri)
	if err != nil {
		s.log.Debug("reading plot failed", "uri", uri, "error", err)
		return nil, fmt.Errorf("%q is not a plot URI: plot URIs look like %s", uri, artifacts.URITemplate)
	}
	c, err := s.conv.acquireOwned(id, protocolSessionID(ctx))
	if err != nil {
		s.log.Debug("reading plot failed", "session_id", id, "error", err)
		return nil, errors.New(unknownSessionMessage(id))
	}
	defer s.conv.release(c)

	p, err := c.plots.Plot(number)
	if err != nil {
		s.log.Debug("reading plot failed", "session_id", id, "plot", number, "error", err)
	}
	switch {
	case errors.Is(err, artifacts.ErrPlotDropped):
		return nil, fmt.Errorf("plot %d of conversation %s was dropped: a conversation keeps at most %d plots and %s of plots, the newest", number, id, s.plots.Limits.KeptPlots, artifacts.FormatBytes(s.plots.Limits.KeptBytes))
	case err != nil || p.Extension() != extension:
		return nil, fmt.Errorf("conversation %s has no plot %s; get_plots lists its plots with their URIs", id, uri)
	}
	return []mcp.ResourceContents{mcp.BlobResourceContents{
		URI:      uri,
		MIMEType: p.MIMEType,
		Blob:     base64.StdEncoding.EncodeToString(p.Data),
	}}, nil
}
