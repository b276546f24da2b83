package runtimes

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Packages describes how a runtime installs packages. The install command runs in an
// installer container with HOME set to a directory of its own; Paths, relative to that
// home, are then copied to the sandbox's home, where the runtime finds them.
type Packages struct {
	// Installer names the tool, such as "pip", for messages.
	Installer string
	// Validate checks one package argument against the ecosystem's grammar.
	Validate func(spec string) error
	// Command returns the install command's argv for valid specs.
	Command func(specs []string, index Index) []string
	// Paths are the files and directories, relative to the install's home, that the
	// sandbox needs.
	Paths []string
	// Manifest selects the installed files whose contents Installed reads.
	Manifest func(name string) bool
	// Installed lists the packages found among the copied entries and manifests.
	Installed func(entries []string, manifests map[string][]byte) []Package
}

// Index is a package source. Empty fields mean the installer's defaults.
type Index struct {
	// URL is pip's index URL (PEP 503 simple API) or npm's registry URL.
	URL string
	// ExtraURLs are more pip indexes; npm ignores them.
	ExtraURLs []string
	// TrustedHosts are hosts pip may reach without valid HTTPS; npm ignores them.
	TrustedHosts []string
}

// Package is one installed package.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// pipRequirement accepts a PEP 508 name with optional extras and version specifiers, and
// nothing else: no URL, path, environment marker or option.
var pipRequirement = regexp.MustCompile(`^` +
	`[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?` + // name
	`(?:\[[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:,[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)*\])?` + // extras
	`(?:(?:===|==|!=|~=|<=|>=|<|>)[A-Za-z0-9.*+!_-]+(?:,(?:===|==|!=|~=|<=|>=|<|>)[A-Za-z0-9.*+!_-]+)*)?` + // versions
	`$`)

// npmSpec accepts a package name, optionally scoped, with an optional version, range or
// tag; no URL, path, git reference or option.
var npmSpec = regexp.MustCompile(`^` +
	`(?:@[a-z0-9~][a-z0-9._~-]*/)?[a-z0-9~][a-z0-9._~-]*` + // name; never a leading "-", which reads as an option
	`(?:@[A-Za-z0-9.^~<>=*|_+-]+)?` + // version, range or tag
	`$`)

const maxSpecLength = 214 // npm's limit on a name; ample for pip requirements

func validatePip(spec string) error {
	if len(spec) > maxSpecLength || !pipRequirement.MatchString(spec) {
		return fmt.Errorf("%q is not a pip requirement this server accepts: use a package name with optional extras and version specifiers, such as \"pandas\", \"requests[socks]\" or \"numpy>=1.26,<2\" (no spaces, URLs, paths, markers or options)", spec)
	}
	return nil
}

func validateNpm(spec string) error {
	if len(spec) > maxSpecLength || !npmSpec.MatchString(spec) {
		return fmt.Errorf("%q is not an npm package this server accepts: use a lowercase package name, optionally scoped, with an optional version, range or tag, such as \"lodash\", \"@types/node@20\" or \"left-pad@^1.3.0\" (no spaces, URLs, paths, git references or options)", spec)
	}
	return nil
}

func pipCommand(specs []string, index Index) []string {
	cmd := []string{"python3", "-m", "pip", "install", "--user", "--break-system-packages",
		"--no-warn-script-location", "--no-input", "--progress-bar", "off"}
	if index.URL != "" {
		cmd = append(cmd, "--index-url", index.URL)
	}
	for _, u := range index.ExtraURLs {
		cmd = append(cmd, "--extra-index-url", u)
	}
	for _, h := range index.TrustedHosts {
		cmd = append(cmd, "--trusted-host", h)
	}
	return append(append(cmd, "--"), specs...)
}

func npmCommand(specs []string, index Index) []string {
	cmd := []string{"npm", "install", "--prefix", ".", "--no-audit", "--no-fund", "--no-save",
		"--no-package-lock", "--no-progress", "--loglevel", "warn"}
	if index.URL != "" {
		cmd = append(cmd, "--registry", index.URL)
	}
	return append(append(cmd, "--"), specs...)
}

// pipInstalled reads name and version from the .dist-info directories that pip wrote.
func pipInstalled(entries []string, _ map[string][]byte) []Package {
	seen := make(map[Package]bool)
	for _, e := range entries {
		for _, part := range strings.Split(e, "/") {
			base, ok := strings.CutSuffix(part, ".dist-info")
			if !ok {
				continue
			}
			if name, version, ok := strings.Cut(base, "-"); ok {
				seen[Package{Name: name, Version: version}] = true
			}
		}
	}
	return sortedPackages(seen)
}

// npmManifest selects the package.json of each package directly under node_modules.
func npmManifest(name string) bool {
	dir, file := path.Split(name)
	if file != "package.json" {
		return false
	}
	parts := strings.Split(strings.Trim(dir, "/"), "/")
	switch {
	case len(parts) == 2 && parts[0] == "node_modules":
		return true
	case len(parts) == 3 && parts[0] == "node_modules" && strings.HasPrefix(parts[1], "@"):
		return true
	}
	return false
}

func npmInstalled(_ []string, manifests map[string][]byte) []Package {
	seen := make(map[Package]bool)
	for _, data := range manifests {
		var p Package
		if json.Unmarshal(data, &p) == nil && p.Name != "" {
			seen[p] = true
		}
	}
	return sortedPackages(seen)
}

func sortedPackages(set map[Package]bool) []Package {
	list := make([]Package, 0, len(set))
	for p := range set {
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

var pipPackages = &Packages{
	Installer: "pip",
	Validate:  validatePip,
	Command:   pipCommand,
	Paths:     []string{".local"},
	Installed: pipInstalled,
}

var npmPackages = &Packages{
	Installer: "npm",
	Validate:  validateNpm,
	Command:   npmCommand,
	Paths:     []string{"node_modules"},
	Manifest:  npmManifest,
	Installed: npmInstalled,
}
