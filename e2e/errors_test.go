package e2e

import (
	"strings"
	"testing"
)

func TestToolErrors(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	reserveServers(t, 1)
	config := `
pool: {min_idle: 1, max_size: 4}
sandbox: {code_bytes: 1KiB, max_timeout: 60s}
`
	s := startServer(t, httpTransport, config)

	cases := []struct {
		name string
		tool string
		args map[string]any
		// want are substrings of the error text: what was wrong, and what is allowed.
		want []string
	}{
		{"unknown language", "run_code", map[string]any{"language": "cobol", "code": "DISPLAY 'x'."},
			[]string{"cobol", "javascript", "python"}},
		{"empty code", "run_code", map[string]any{"language": "python", "code": ""},
			[]string{"code", "minLength"}},
		{"blank code", "run_code", map[string]any{"language": "python", "code": " \n\t"},
			[]string{"empty"}},
		{"code over the size limit", "run_code", map[string]any{"language": "python", "code": strings.Repeat("#", 2000)},
			[]string{"2000", "1024"}},
		{"negative timeout", "run_code", map[string]any{"language": "python", "code": "print(1)", "timeout_seconds": -1},
			[]string{"timeout_seconds", "minimum", "want 1"}},
		{"timeout over the maximum", "run_code", map[string]any{"language": "python", "code": "print(1)", "timeout_seconds": 61},
			[]string{"timeout_seconds", "maximum", "want 60"}},
		{"unknown session_id", "run_code", map[string]any{"language": "python", "code": "print(1)", "session_id": "s_AAAAAAAAAAAAAAAAAAAAAA"},
			[]string{"Unknown session_id", "Leave session_id out"}},
		{"end_session with unknown session_id", "end_session", map[string]any{"session_id": "s_AAAAAAAAAAAAAAAAAAAAAA"},
			[]string{"Unknown session_id"}},
	}
	for _, e := range eras {
		t.Run(e.name, func(t *testing.T) {
			c := connect(t, s, e)
			// One conversation checks after each error that the server still serves; a new
			// conversation each time would lease a sandbox each.
			id := mustRun(t, c, runArgs{Code: "print('ready')"}).SessionID
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					res, err := callTool(c, tc.tool, tc.args)
					if err != nil {
						t.Fatalf("%s(%s): protocol error %v, want a tool error", tc.tool, tc.name, err)
					}
					if !res.IsError {
						t.Errorf("%s(%s): isError false, want a tool error; text:\n%s", tc.tool, tc.name, res.Text)
					}
					// A Go value printed with %v, such as &{Got:0 Want:1}, is no message
					// for a model.
					if strings.Contains(res.Text, "&{") {
						t.Errorf("%s(%s): text %q contains a Go value dump, want a plain sentence", tc.tool, tc.name, res.Text)
					}
					for _, want := range tc.want {
						if !strings.Contains(res.Text, want) {
							t.Errorf("%s(%s): text %q does not contain %q", tc.tool, tc.name, res.Text, want)
						}
					}
					out := mustRun(t, c, runArgs{Code: "print('still serving')", SessionID: id})
					if out.Stdout != "still serving\n" {
						t.Errorf("run after the error printed %q, want %q", out.Stdout, "still serving\n")
					}
				})
			}
			endSession(t, c, id)
		})
	}

	// The runtimes accept other names for their languages, such as py and js.
	t.Run("language aliases", func(t *testing.T) {
		c := connect(t, s, statelessEra)
		for _, alias := range []struct{ name, code, language string }{
			{"py", "print(1)", "python"},
			{"js", "console.log(1)", "javascript"},
		} {
			res := runCode(t, c, runArgs{Language: alias.name, Code: alias.code})
			if res.IsError {
				t.Errorf("run_code(language %q) = error %q, want it to run as %s", alias.name, res.Text, alias.language)
				continue
			}
			out := res.run(t)
			endSession(t, c, out.SessionID)
			if out.Language != alias.language || out.Stdout != "1\n" {
				t.Errorf("run_code(language %q) = language %q, stdout %q, want %q and %q", alias.name, out.Language, out.Stdout, alias.language, "1\n")
			}
		}
	})
}
