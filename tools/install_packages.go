package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/invopop/jsonschema"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

// installPackagesInput is the input of install_packages.
type installPackagesInput struct {
	Packages  []string `json:"packages" jsonschema:"description=Packages to install. For python: pip requirements such as \"pandas\"\\, \"requests[socks]\" or \"numpy>=1.26\". For javascript: npm packages such as \"lodash\" or \"@types/node@20\". No URLs\\, paths or options."`
	Language  string   `json:"language" jsonschema:"description=Language whose sandbox gets the packages."`
	SessionID string   `json:"session_id,omitempty" jsonschema:"description=The session_id returned by an earlier call\\, to install into that conversation's sandbox. Leave it out to start a new conversation."`
}

// installPackagesOutput is install_packages' structured result.
type installPackagesOutput struct {
	SessionID  string             `json:"session_id"`
	Language   string             `json:"language"`
	Installer  string             `json:"installer"`
	Installed  []runtimes.Package `json:"installed"`
	ExitCode   int                `json:"exit_code"`
	Output     string             `json:"output"`
	DurationMs int64              `json:"duration_ms"`
	TimedOut   bool               `json:"timed_out,omitempty"`
}

// installOutputLines is how many lines of the installer's output a failed install shows.
const installOutputLines = 25

// installNames returns the languages that can install packages, sorted.
func (s *Server) installNames() []string {
	var names []string
	for _, name := range s.names {
		if l := s.languages[name]; l.Install != nil && l.Runtime.Packages != nil {
			names = append(names, name)
		}
	}
	return names
}

func (s *Server) installPackagesTool() mcp.Tool {
	names := s.installNames()
	schema := inputSchema(&installPackagesInput{}, func(js *jsonschema.Schema) {
		lang, _ := js.Properties.Get("language")
		lang.Description = fmt.Sprintf("Language whose sandbox gets the packages: one of %s.", strings.Join(names, ", "))
		pkgs, _ := js.Properties.Get("packages")
		pkgs.MinItems = ptr(uint64(1))
		pkgs.MaxItems = ptr(uint64(s.maxPackages))
	})
	description := fmt.Sprintf(`Install packages into the conversation's sandbox for a language (%s), so that later
run_code calls in the same conversation can import them. Other conversations never see them.
The sandbox itself keeps no network access: the packages are downloaded by a separate,
short-lived installer and copied in. At most %d packages per call. The result lists what was
installed, with versions, and always carries session_id.`, strings.Join(names, ", "), s.maxPackages)
	return mcp.NewToolWithRawSchema("install_packages", description, schema)
}

func (s *Server) handleInstallPackages(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var in installPackagesInput
	if err := req.BindArguments(&in); err != nil {
		return mcp.NewToolResultError("Invalid arguments: " + err.Error()), nil
	}
	lang, msg := s.checkInstall(in)
	if msg != "" {
		return mcp.NewToolResultError(msg), nil
	}

	return s.inSandbox(ctx, in.SessionID, lang, func(c *conversation, sb *sandbox, lease *pool.Lease) *mcp.CallToolResult {
		pkgs := lang.Runtime.Packages
		result, err := s.installer.Install(ctx, lease.ContainerID(), pool.InstallRequest{
			Spec:        lang.Install.Spec,
			Command:     pkgs.Command(in.Packages, lang.Install.Index),
			Paths:       pkgs.Paths,
			Manifest:    pkgs.Manifest,
			Timeout:     lang.Install.Timeout,
			OutputBytes: lang.Install.OutputBytes,
			MaxBytes:    lang.Install.MaxBytes,
		})
		if err != nil {
			return s.installFailure(c, sb, lang, err)
		}
		return installResult(c.id, lang, result)
	}), nil
}

// checkInstall validates the arguments, each package against its ecosystem's grammar,
// before anything runs. It returns a message for the model when the call is invalid.
func (s *Server) checkInstall(in installPackagesInput) (Language, string) {
	lang, ok := s.language(in.Language)
	if !ok || lang.Install == nil || lang.Runtime.Packages == nil {
		return lang, fmt.Sprintf("Packages cannot be installed for language %q. Languages with packages: %s.", in.Language, strings.Join(s.installNames(), ", "))
	}
	switch n := len(in.Packages); {
	case n == 0:
		return lang, "The packages argument is empty. Name at least one package to install."
	case n > s.maxPackages:
		return lang, fmt.Sprintf("%d packages were given, over the limit of %d per call. Install them in several calls.", n, s.maxPackages)
	}
	var problems []string
	for _, spec := range in.Packages {
		if err := lang.Runtime.Packages.Validate(spec); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return lang, "Nothing was installed. Invalid package arguments:\n- " + strings.Join(problems, "\n- ")
	}
	return lang, ""
}

// installFailure returns the tool error of an install that could not complete. The
// sandbox keeps its earlier state, except when the copy into it failed half-way, and the
// message then states that.
func (s *Server) installFailure(c *conversation, sb *sandbox, lang Language, err error) *mcp.CallToolResult {
	s.log.Warn("install_packages failed", "session_id", c.id, "language", lang.Runtime.Name, "error", err)
	switch {
	case errors.Is(err, pool.ErrInstallTooLarge):
		return errorWithSession(c.id, fmt.Sprintf("The installed packages are larger than the limit of %s, so they were not all copied into the sandbox; some files may be in place. Install fewer or smaller packages.", formatBytes(lang.Install.MaxBytes)))
	case errors.Is(err, pool.ErrContainerNotFound):
		return s.sandboxLost(c, sb, lang, err)
	case errors.Is(err, pool.ErrUnpack):
		return errorWithSession(c.id, "Copying the installed packages into the sandbox failed, most likely because its disk (the working directory's size limit) is full. Some files may be in place. Free space or install fewer packages.")
	default:
		return errorWithSession(c.id, modelMessage(lang.Runtime.Name, err))
	}
}

// installResult reports a finished or timed-out install. A non-zero exit or a timeout sets
// isError and shows the installer's last output lines.
func installResult(id string, lang Language, r pool.InstallResult) *mcp.CallToolResult {
	pkgs := lang.Runtime.Packages
	out := installPackagesOutput{
		SessionID:  id,
		Language:   lang.Runtime.Name,
		Installer:  pkgs.Installer,
		ExitCode:   r.ExitCode,
		Output:     lastLines(strings.TrimSpace(r.Stdout.Text+"\n"+r.Stderr.Text), installOutputLines),
		DurationMs: r.Duration.Milliseconds(),
		TimedOut:   r.TimedOut,
	}
	failed := r.ExitCode != 0 || r.TimedOut
	if !failed {
		out.Installed = pkgs.Installed(r.Entries, r.Manifests)
	}
	if out.Installed == nil {
		out.Installed = []runtimes.Package{}
	}

	var b strings.Builder
	switch {
	case r.TimedOut:
		fmt.Fprintf(&b, "The install timed out after %s. Nothing was copied into the sandbox; its earlier state is intact.\n", lang.Install.Timeout)
	case failed:
		fmt.Fprintf(&b, "%s failed with exit code %d. Nothing was installed into the sandbox; its earlier state is intact.\n", pkgs.Installer, r.ExitCode)
	default:
		fmt.Fprintf(&b, "Installed with %s: %s\n", pkgs.Installer, formatPackages(out.Installed))
	}
	fmt.Fprintf(&b, "duration_ms: %d\nsession_id: %s\n", out.DurationMs, id)
	if failed && out.Output != "" {
		fmt.Fprintf(&b, "--- last lines of %s's output ---\n%s\n", pkgs.Installer, out.Output)
	}
	res := mcp.NewToolResultStructured(out, b.String())
	res.IsError = failed
	return res
}

func formatPackages(pkgs []runtimes.Package) string {
	if len(pkgs) == 0 {
		return "nothing new"
	}
	parts := make([]string, len(pkgs))
	for i, p := range pkgs {
		parts[i] = p.Name + " " + p.Version
	}
	return strings.Join(parts, ", ")
}

// lastLines returns the last n lines of text.
func lastLines(text string, n int) string {
	lines := strings.Split(text, "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
