package tools

import (
	"context"
	"errors"
	"fmt"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// modelMessage turns an error from the pool or the engine into a short message for the
// model: what failed and what to do. The details, which carry engine IDs and host paths,
// go only to the log.
func modelMessage(language string, err error) string {
	switch {
	case errors.Is(err, pool.ErrEngineUnavailable):
		return "The container engine is not reachable, so no sandbox could be started. Try again in a minute; if it persists, the server's operator should run `sandbox-mcp doctor`."
	case errors.Is(err, pool.ErrImageNotFound):
		return fmt.Sprintf("The %s sandbox image is missing on the server. The server's operator should run `sandbox-mcp images build %s` (on Kubernetes, also make the image available to the nodes; `sandbox-mcp doctor` checks).", language, language)
	case errors.Is(err, pool.ErrExhausted):
		return fmt.Sprintf("Every %s sandbox is in use. Try again later, or end conversations you no longer need with end_session.", language)
	case errors.Is(err, pool.ErrNotReady):
		return fmt.Sprintf("No %s sandbox became ready in time: new ones are still starting. Try again in a minute; if it persists, the server's operator should run `sandbox-mcp doctor`.", language)
	case errors.Is(err, pool.ErrClosed):
		return "The server is shutting down."
	case errors.Is(err, context.Canceled):
		return "The request was cancelled."
	case errors.Is(err, context.DeadlineExceeded):
		return "The request timed out."
	default:
		return fmt.Sprintf("The %s sandbox failed (an internal error; the details are in the server's log). Try again.", language)
	}
}

// maxSessionIDLength bounds a session_id argument; minted handles have 24 characters.
const maxSessionIDLength = 64

// unknownSessionMessage returns the tool error text for a session_id that does not exist,
// has ended, or belongs to another protocol session.
func unknownSessionMessage(id string) string {
	if len(id) > maxSessionIDLength {
		id = id[:maxSessionIDLength] + "..."
	}
	return fmt.Sprintf("Unknown session_id %q: the conversation does not exist or has ended (conversations end after a period without calls, with end_session, or when the server restarts), and its files are gone. Leave session_id out to start a new conversation.", id)
}
