package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
)

func (s *Server) handleEndSession(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in endSessionInput
	if err := req.BindArguments(&in); err != nil {
		return mcp.NewToolResultError("Invalid arguments: " + err.Error()), nil
	}
	if in.SessionID == "" {
		return mcp.NewToolResultError("session_id is required: pass the session_id of the conversation to end."), nil
	}
	c, err := s.conv.acquireOwned(in.SessionID, protocolSessionID(ctx))
	if err != nil {
		return mcp.NewToolResultError(unknownSessionMessage(in.SessionID)), nil
	}
	s.conv.release(c)
	s.conv.end(c, "end_session")
	return mcp.NewToolResultStructured(map[string]any{"session_id": c.id, "ended": true},
		fmt.Sprintf("Ended conversation %s: its sandboxes and files are destroyed.", c.id)), nil
}
