package artifacts

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

// pythonFiles is the Python support code: a sitecustomize module, which installs an import
// hook, and the _sandbox_mcp package with the matplotlib backend. The all: prefix keeps the
// names that start with an underscore.
//
//go:embed all:python
var pythonFiles embed.FS

const (
	// FormatEnv names the format, png or svg, that the Python support code saves figures in.
	FormatEnv = "SANDBOX_MCP_PLOT_FORMAT"
	// PythonBackend is the MPLBACKEND value that selects the capturing matplotlib backend.
	PythonBackend = "module://_sandbox_mcp.backend"
	// pythonDir is where the Python support files go, below pool.SupportDir.
	pythonDir = "python"
	// errorsFile is where the capture code records its failures, in the artifact directory.
	errorsFile = "capture-errors.txt"
)

// Captures reports whether runs of the runtime called name capture plots. Only Python's do.
func Captures(runtime string) bool {
	return runtime == "python"
}

// SupportFiles returns the files to install under pool.SupportDir in the sandboxes of
// runtime, or nil for a runtime that captures no plots.
func SupportFiles(runtime string) ([]pool.SupportFile, error) {
	if !Captures(runtime) {
		return nil, nil
	}
	var files []pool.SupportFile
	err := fs.WalkDir(pythonFiles, pythonDir, func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(name, "__pycache__") {
			return err
		}
		data, err := pythonFiles.ReadFile(name)
		files = append(files, pool.SupportFile{Name: name, Data: data})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading plot support files: %w", err)
	}
	return files, nil
}

// Env returns the environment variables that make a run of runtime capture its plots in
// format, or nil for a runtime that captures no plots. For Python they put the support
// files first on PYTHONPATH, which replaces a PYTHONPATH the image sets, and select the
// capturing matplotlib backend. Capture also needs the run's artifact directory, which
// pool.Run provides.
func Env(runtime string, format Format) []string {
	if !Captures(runtime) {
		return nil
	}
	return []string{
		"PYTHONPATH=" + path.Join(pool.SupportDir, pythonDir),
		"MPLBACKEND=" + PythonBackend,
		FormatEnv + "=" + string(format),
	}
}

// MergeEnv returns base with each variable of overrides replacing the variable of the same
// name, or appended when base has none. An engine passes a variable listed twice to the
// process twice, and which one a program reads depends on the program, so the lists are
// merged rather than concatenated.
func MergeEnv(base, overrides []string) []string {
	merged := make([]string, 0, len(base)+len(overrides))
	index := make(map[string]int, len(base)+len(overrides))
	for _, kv := range append(base[:len(base):len(base)], overrides...) {
		name, _, _ := strings.Cut(kv, "=")
		if i, ok := index[name]; ok {
			merged[i] = kv
			continue
		}
		index[name] = len(merged)
		merged = append(merged, kv)
	}
	return merged
}
