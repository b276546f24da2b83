// Package runtimes describes the languages sandbox-mcp runs: each runtime's image, the file
// its code is written to, and the commands that run it. It is data and pure functions only.
package runtimes

import (
	"embed"
	"slices"
	"sort"
	"strings"
)

// Runtime is one language's sandbox recipe.
type Runtime struct {
	// Name is the language name tools accept, such as "python".
	Name string
	// Aliases are other accepted names, such as "py".
	Aliases []string
	// Image is the default image built by `sandbox-mcp images build`.
	Image string
	// Dockerfile is the path of the runtime's Dockerfile inside Files.
	Dockerfile string
	// FileName is the name the run's code is written to, in the working directory.
	FileName string
	// Command runs FileName; it is argv, resolved in the working directory.
	Command []string
	// Env is added to every run's environment.
	Env []string
	// Probe is a command that must succeed before a warm container counts as ready. It
	// starts the interpreter once, so its files are in the page cache before the first run.
	// For Python it also builds matplotlib's font cache, which the first plot would pay.
	Probe []string
	// Packages installs packages for the runtime; nil means it cannot.
	Packages *Packages
}

// Files holds the Dockerfiles and the Debian base image script.
//
//go:embed images
var Files embed.FS

// BaseImageScript is the path inside Files of the script that builds the Debian base image
// with debootstrap.
const BaseImageScript = "images/debian-base.sh"

// DefaultBaseImage is the base every runtime Dockerfile builds FROM, unless the BASE build
// argument names another.
const DefaultBaseImage = "debian:bookworm-slim"

// LocalBaseImage is the name BaseImageScript imports the base as, for hosts that cannot pull.
const LocalBaseImage = "sandbox-mcp/debian-base:bookworm"

// all is sorted by name.
var all = []Runtime{
	{
		Name:       "javascript",
		Aliases:    []string{"js", "node", "nodejs"},
		Image:      "sandbox-mcp/javascript:latest",
		Dockerfile: "images/javascript.Dockerfile",
		FileName:   ".run.js",
		Command:    []string{"node", ".run.js"},
		Probe:      []string{"node", "-e", "0"},
		Packages:   npmPackages,
	},
	{
		Name:       "python",
		Aliases:    []string{"py", "python3"},
		Image:      "sandbox-mcp/python:latest",
		Dockerfile: "images/python.Dockerfile",
		FileName:   ".run.py",
		Command:    []string{"python3", "-u", ".run.py"},
		Env:        []string{"PYTHONDONTWRITEBYTECODE=1", "MPLBACKEND=Agg", "PYTHONIOENCODING=utf-8"},
		Probe:      []string{"python3", "-c", "import numpy, pandas, matplotlib.pyplot"},
		Packages:   pipPackages,
	},
}

// All returns every runtime, in the order of Names.
func All() []Runtime {
	return slices.Clone(all)
}

// Names returns the runtime names, sorted.
func Names() []string {
	names := make([]string, 0, len(all))
	for _, r := range all {
		names = append(names, r.Name)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the runtime whose name or alias is name, compared without case.
func Lookup(name string) (Runtime, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, r := range all {
		if r.Name == name || slices.Contains(r.Aliases, name) {
			return r, true
		}
	}
	return Runtime{}, false
}
