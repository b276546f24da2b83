// Package layering holds the test that enforces which packages may import what.
package layering

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/sandbox-mcp/sandbox-mcp"

// engineSDKs are the import path prefixes of container engine clients. Only the backend
// packages under pool/ may depend on them.
var engineSDKs = []string{"github.com/moby/", "github.com/docker/", "k8s.io/", "github.com/containerd/"}

var rules = []struct {
	pkg string
	// forbidden prefixes for every dependency, direct or not
	forbiddenDeps []string
	// forbidden direct imports
	forbiddenImports []string
}{
	{pkg: module + "/tools", forbiddenDeps: engineSDKs},
	{pkg: module + "/pool", forbiddenDeps: append([]string{"github.com/mark3labs/"}, engineSDKs...)},
	{pkg: module + "/artifacts", forbiddenDeps: append([]string{"github.com/mark3labs/"}, engineSDKs...)},
	{pkg: module + "/config", forbiddenDeps: append([]string{"github.com/mark3labs/"}, engineSDKs...)},
	{pkg: module + "/runtimes", forbiddenDeps: append([]string{"github.com/mark3labs/"}, engineSDKs...),
		forbiddenImports: []string{"os", "os/exec", "net", "net/http", "io/ioutil"}},
}

type listedPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func TestImportRules(t *testing.T) {
	for _, rule := range rules {
		t.Run(strings.TrimPrefix(rule.pkg, module+"/"), func(t *testing.T) {
			p := list(t, rule.pkg)
			for _, dep := range p.Deps {
				if prefix, ok := matchPrefix(dep, rule.forbiddenDeps); ok {
					t.Errorf("%s depends on %s (matches forbidden %q)", rule.pkg, dep, prefix)
				}
			}
			for _, imp := range p.Imports {
				for _, bad := range rule.forbiddenImports {
					if imp == bad {
						t.Errorf("%s imports %s; it must do no I/O", rule.pkg, imp)
					}
				}
			}
		})
	}
}

func matchPrefix(path string, prefixes []string) (string, bool) {
	for _, p := range prefixes {
		if strings.HasPrefix(path, p) {
			return p, true
		}
	}
	return "", false
}

func list(t *testing.T, pkg string) listedPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	var p listedPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	if err := dec.Decode(&p); err != nil && err != io.EOF {
		t.Fatalf("decoding go list output: %v", err)
	}
	return p
}
