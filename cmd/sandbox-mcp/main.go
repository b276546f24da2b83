// Command sandbox-mcp is an MCP server that runs code written by LLM agents in pre-warmed,
// hardened containers, one sandbox per conversation.
//
// Usage:
//
//	sandbox-mcp [serve] [--transport stdio|http] [--addr HOST:PORT] [--config FILE]
//	sandbox-mcp images build [--config FILE] [LANGUAGE...]
//	sandbox-mcp doctor [--config FILE]
//	sandbox-mcp config schema
//	sandbox-mcp version
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `sandbox-mcp runs code for MCP clients in pre-warmed, isolated containers.

Usage:
  sandbox-mcp [serve] [flags]           serve MCP over stdio (default) or HTTP
  sandbox-mcp images build [LANGUAGE]   build the runtime images (all by default)
  sandbox-mcp doctor                    check the engine, the images and the config
  sandbox-mcp config schema             print the config file's JSON Schema
  sandbox-mcp version                   print the version

Run "sandbox-mcp COMMAND -h" for a command's flags.
`

func main() {
	// A stdio client may close stderr before the server has finished cleaning up; a log
	// line must not kill the server with SIGPIPE then.
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	cmd, rest := "serve", args
	if len(args) > 0 && (!isFlag(args[0]) || args[0] == "-h" || args[0] == "--help") {
		cmd, rest = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(rest, stderr)
	case "images":
		err = images(rest, stdout, stderr)
	case "doctor":
		err = doctor(rest, stdout, stderr)
	case "config":
		err = configCommand(rest, stdout)
	case "version":
		fmt.Fprintf(stdout, "sandbox-mcp %s\n", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "sandbox-mcp: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		fmt.Fprintf(stderr, "sandbox-mcp %s: %v\n", cmd, err)
		return 1
	}
}

// errUsage reports a command line that was already explained to the user.
var errUsage = errors.New("usage error")

func isFlag(arg string) bool { return len(arg) > 0 && arg[0] == '-' }

// newFlagSet returns a flag set that prints its errors and usage to stderr.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("sandbox-mcp "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args and maps a bad flag to errUsage (flag already printed why).
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return errUsage
	}
	return err
}
