package runtimes_test

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sandbox-mcp/sandbox-mcp/runtimes"
)

// instruction is one Dockerfile instruction: its keyword in upper case and the rest of it.
type instruction struct {
	Keyword string
	Args    string
}

// parseDockerfile splits a Dockerfile into instructions. It drops blank lines and comment
// lines (parser directives included) and joins lines continued with a trailing backslash.
// It is enough for the checks here, but it is no full parser, because it ignores heredocs
// and the escape directive.
func parseDockerfile(text string) []instruction {
	var instructions []instruction
	var current strings.Builder
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		continued := strings.HasSuffix(line, `\`)
		current.WriteString(strings.TrimSuffix(line, `\`))
		if continued {
			current.WriteString(" ")
			continue
		}
		instructions = append(instructions, newInstruction(current.String()))
		current.Reset()
	}
	if current.Len() > 0 {
		instructions = append(instructions, newInstruction(current.String()))
	}
	return instructions
}

func newInstruction(line string) instruction {
	keyword, args, _ := strings.Cut(line, " ")
	return instruction{Keyword: strings.ToUpper(keyword), Args: strings.Join(strings.Fields(args), " ")}
}

func readDockerfile(t *testing.T, name string) []instruction {
	t.Helper()
	data, err := fs.ReadFile(runtimes.Files, name)
	if err != nil {
		t.Fatalf("ReadFile(%q) error = %v, want the runtime's Dockerfile embedded in Files", name, err)
	}
	return parseDockerfile(string(data))
}

func TestParseDockerfile(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []instruction
	}{
		{
			name: "comments and blank lines",
			text: "# syntax=docker/dockerfile:1\n\nARG BASE=debian\n  # indented comment\nFROM ${BASE}\n",
			want: []instruction{{"ARG", "BASE=debian"}, {"FROM", "${BASE}"}},
		},
		{
			name: "continued lines",
			text: "RUN apt-get update; \\\n    apt-get install -y \\\n        python3\nUSER 65534\n",
			want: []instruction{{"RUN", "apt-get update; apt-get install -y python3"}, {"USER", "65534"}},
		},
		{
			name: "lower-case keyword without final newline",
			text: "from scratch",
			want: []instruction{{"FROM", "scratch"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseDockerfile(tt.text)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseDockerfile(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

// TestDockerfileBaseArg checks the contract `sandbox-mcp images build` relies on: the base
// image is the build argument BASE, declared before the first FROM, whose default is
// DefaultBaseImage.
func TestDockerfileBaseArg(t *testing.T) {
	for _, r := range runtimes.All() {
		t.Run(r.Name, func(t *testing.T) {
			instructions := readDockerfile(t, r.Dockerfile)
			from := firstFrom(instructions)
			if from < 0 {
				t.Fatalf("Dockerfile %q has no FROM instruction", r.Dockerfile)
			}

			base, ok := argDefault(instructions[:from], "BASE")
			if !ok {
				t.Fatalf("Dockerfile %q declares no ARG BASE before its first FROM", r.Dockerfile)
			}
			if base != runtimes.DefaultBaseImage {
				t.Errorf("Got(ARG BASE default in %q) = %q, want %q", r.Dockerfile, base, runtimes.DefaultBaseImage)
			}
			if image := instructions[from].Args; image != "${BASE}" && image != "$BASE" {
				t.Errorf("Got(first FROM in %q) = %q, want ${BASE}", r.Dockerfile, image)
			}
		})
	}
}

// TestDockerfileNeedsNoContext checks that no Dockerfile copies files from the build
// context, because `sandbox-mcp images build` sends each Dockerfile as the whole context.
func TestDockerfileNeedsNoContext(t *testing.T) {
	for _, r := range runtimes.All() {
		t.Run(r.Name, func(t *testing.T) {
			for _, in := range readDockerfile(t, r.Dockerfile) {
				copies := in.Keyword == "COPY" || in.Keyword == "ADD"
				if copies && !strings.Contains(in.Args, "--from=") {
					t.Errorf("Dockerfile %q: %s %s reads the build context, which images build leaves empty",
						r.Dockerfile, in.Keyword, in.Args)
				}
			}
		})
	}
}

func TestDockerfilesBelongToRuntimes(t *testing.T) {
	used := make(map[string]bool)
	for _, r := range runtimes.All() {
		used[r.Dockerfile] = true
	}
	names, err := fs.Glob(runtimes.Files, "images/*.Dockerfile")
	if err != nil {
		t.Fatalf("Glob(images/*.Dockerfile) error = %v", err)
	}
	for _, name := range names {
		if !used[name] {
			t.Errorf("Dockerfile %q is embedded but no runtime names it", name)
		}
	}
}

func TestBaseImageScript(t *testing.T) {
	data, err := fs.ReadFile(runtimes.Files, runtimes.BaseImageScript)
	if err != nil {
		t.Fatalf("ReadFile(%q) error = %v, want the base image script embedded in Files", runtimes.BaseImageScript, err)
	}
	firstLine, _, _ := strings.Cut(string(data), "\n")
	if want := "#!/usr/bin/env bash"; firstLine != want {
		t.Errorf("Got(first line of %q) = %q, want %q", runtimes.BaseImageScript, firstLine, want)
	}
}

// firstFrom returns the index of the first FROM instruction, or -1.
func firstFrom(instructions []instruction) int {
	for i, in := range instructions {
		if in.Keyword == "FROM" {
			return i
		}
	}
	return -1
}

// argDefault returns the default value of the ARG named name among instructions, and
// whether such an ARG is declared.
func argDefault(instructions []instruction, name string) (string, bool) {
	for _, in := range instructions {
		if in.Keyword != "ARG" {
			continue
		}
		argName, value, _ := strings.Cut(in.Args, "=")
		if argName == name {
			return value, true
		}
	}
	return "", false
}
