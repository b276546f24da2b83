// Package e2e contains the end-to-end tests of sandbox-mcp. They build the real binary and
// start it over stdio and streamable HTTP. They talk MCP to it with the mcp-go client in both
// protocol eras, the session-based 2025-11-25 and the stateless 2026-07-28. Then they check
// the engine for the containers each server leaves behind. The package has no non-test code.
//
// The tests need a Docker engine and the images sandbox-mcp/python:latest and
// sandbox-mcp/javascript:latest. They skip under -short or without an engine, and fail
// instead when SANDBOX_MCP_REQUIRE_ENGINE=1. The conversation tests (files, isolation, the
// end of a conversation, timeouts, and the removal of a killed server's containers) also
// run on Podman, as internal/enginetest.RequireBackend decides from
// SANDBOX_MCP_TEST_BACKENDS.
package e2e
