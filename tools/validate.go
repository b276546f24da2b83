package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// inputValidator checks tool arguments against the tools' input schemas before the
// handlers run, and returns plain sentences that name each invalid argument.
//
// It replaces mcp-go's WithInputSchemaValidation, which validates with the same library but
// in v1.2.1 prints each violation as a Go struct, such as
// "/language: &{Got:cobol Want:[javascript python]}", which a model cannot act on.
type inputValidator struct {
	schemas map[string]*jsonschema.Schema // by tool name
	printer *message.Printer
}

func newInputValidator() *inputValidator {
	return &inputValidator{schemas: make(map[string]*jsonschema.Schema), printer: message.NewPrinter(language.English)}
}

// add compiles tool's input schema. A schema that does not compile is a bug in this package.
func (v *inputValidator) add(tool mcp.Tool) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(tool.RawInputSchema))
	if err != nil {
		panic(fmt.Sprintf("tool %s: parsing input schema: %v", tool.Name, err))
	}
	c := jsonschema.NewCompiler()
	url := "mem:///" + tool.Name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		panic(fmt.Sprintf("tool %s: adding input schema: %v", tool.Name, err))
	}
	schema, err := c.Compile(url)
	if err != nil {
		panic(fmt.Sprintf("tool %s: compiling input schema: %v", tool.Name, err))
	}
	v.schemas[tool.Name] = schema
}

// middleware rejects calls whose arguments do not match the tool's schema with a tool
// error that names each argument and what it must be.
func (v *inputValidator) middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		schema := v.schemas[req.Params.Name]
		if schema == nil {
			return next(ctx, req)
		}
		if msg := v.check(schema, req.Params.Arguments); msg != "" {
			return mcp.NewToolResultError(msg), nil
		}
		return next(ctx, req)
	}
}

// check returns "" when args match schema, and otherwise the problems, one per line.
// Arguments that mcp-go decoded into a map are validated as they are: the validator takes
// encoding/json's values, and encoding them again would copy the code twice on every call.
func (v *inputValidator) check(schema *jsonschema.Schema, args any) string {
	var doc any
	switch args := args.(type) {
	case nil:
		doc = map[string]any{}
	case map[string]any:
		doc = args
	default:
		raw, err := json.Marshal(args)
		if err != nil {
			return "Invalid arguments: they are not a JSON object."
		}
		if doc, err = jsonschema.UnmarshalJSON(bytes.NewReader(raw)); err != nil {
			return "Invalid arguments: they are not a JSON object."
		}
	}
	err := schema.Validate(doc)
	var verr *jsonschema.ValidationError
	if err == nil || !errors.As(err, &verr) {
		return ""
	}
	var problems []string
	v.collect(verr, &problems)
	return "Invalid arguments:\n- " + strings.Join(problems, "\n- ")
}

// collect appends one sentence per leaf of the error tree; inner nodes only group them.
func (v *inputValidator) collect(verr *jsonschema.ValidationError, problems *[]string) {
	if len(verr.Causes) > 0 {
		for _, c := range verr.Causes {
			v.collect(c, problems)
		}
		return
	}
	msg := verr.ErrorKind.LocalizedString(v.printer)
	if len(verr.InstanceLocation) == 0 {
		*problems = append(*problems, msg)
		return
	}
	*problems = append(*problems, strings.Join(verr.InstanceLocation, ".")+": "+msg)
}
