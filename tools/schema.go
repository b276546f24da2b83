package tools

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/invopop/jsonschema"
	"github.com/mark3labs/mcp-go/mcp"
)

// runCodeInput is the input of run_code; its JSON Schema is published with the tool.
type runCodeInput struct {
	Language       string  `json:"language" jsonschema:"description=Programming language of code."`
	Code           string  `json:"code" jsonschema:"description=Complete source code of a program in the given language. This is a program file\\, not a shell command line."`
	SessionID      string  `json:"session_id,omitempty" jsonschema:"description=The session_id returned by an earlier call. Pass it to run in the same sandbox\\, where files written and packages installed by earlier calls are kept. Leave it out to start a new conversation."`
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty" jsonschema:"description=Seconds the program may run before it is killed. Files it wrote stay in the sandbox."`
	PlotFormat     string  `json:"plot_format,omitempty" jsonschema:"enum=png,enum=svg,description=Format of the plots this run returns: png\\, or svg for vector images\\, which some clients cannot show. Only Python captures plots."`
}

// endSessionInput is the input of end_session.
type endSessionInput struct {
	SessionID string `json:"session_id" jsonschema:"description=The session_id to end. Its sandboxes and every file in them are destroyed."`
}

// inputSchema reflects v into a JSON Schema without references and lets edit adjust it.
func inputSchema(v any, edit func(*jsonschema.Schema)) json.RawMessage {
	r := jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true, Anonymous: true}
	s := r.Reflect(v)
	s.Version = ""
	s.AdditionalProperties = jsonschema.FalseSchema
	if id, ok := s.Properties.Get("session_id"); ok {
		id.MaxLength = ptr(uint64(maxSessionIDLength))
	}
	if edit != nil {
		edit(s)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		panic(fmt.Sprintf("marshalling tool input schema: %v", err)) // static types: a bug
	}
	return raw
}

func (s *Server) runCodeTool() mcp.Tool {
	maxTimeout, defaultTimeout := 0, 0
	for _, l := range s.languages {
		maxTimeout = max(maxTimeout, int(l.Limits.MaxTimeout.Seconds()))
		defaultTimeout = max(defaultTimeout, int(l.Limits.DefaultTimeout.Seconds()))
	}
	schema := inputSchema(&runCodeInput{}, func(js *jsonschema.Schema) {
		lang, _ := js.Properties.Get("language")
		lang.Description = fmt.Sprintf("Programming language of code: one of %s.", strings.Join(s.names, ", "))
		timeout, _ := js.Properties.Get("timeout_seconds")
		timeout.Minimum = json.Number("1")
		timeout.Maximum = json.Number(fmt.Sprint(maxTimeout))
		timeout.Default = defaultTimeout
		code, _ := js.Properties.Get("code")
		code.MinLength = ptr(uint64(1))
		s.addPlotFormat(js)
	})
	description := fmt.Sprintf(`Run a program in an isolated sandbox and return its stdout, stderr and exit code.
Languages: %s. The sandbox has no network access. The working directory persists within a
conversation: files written by one call can be read by the next call with the same
session_id, and each language has its own sandbox. The result always carries session_id.
Default timeout %d s, maximum %d s.%s`, s.languageList(), defaultTimeout, maxTimeout, s.plotDescription())
	return mcp.NewToolWithRawSchema("run_code", description, schema)
}

func endSessionTool() mcp.Tool {
	return mcp.NewToolWithRawSchema("end_session",
		"End a conversation now: destroy its sandboxes, with all their files and packages. Later calls with this session_id fail.",
		inputSchema(&endSessionInput{}, nil))
}

func ptr[T any](v T) *T { return &v }
