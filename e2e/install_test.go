package e2e

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
)

// packageIndex serves one tiny wheel through a PEP 503 simple index and one tiny npm
// package through a minimal registry, on loopback. No public index is reachable here.
type packageIndex struct {
	url      string
	requests atomic.Int64
}

func startPackageIndex(t *testing.T) *packageIndex {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	idx := &packageIndex{url: "http://" + ln.Addr().String()}
	wheel := buildWheel(t)
	tarball := buildNpmTarball(t)

	mux := http.NewServeMux()
	wheelName := "tiny_pkg-1.0-py3-none-any.whl"
	mux.HandleFunc("/simple/tiny-pkg/", func(w http.ResponseWriter, r *http.Request) {
		sum := sha256.Sum256(wheel)
		fmt.Fprintf(w, `<html><body><a href="/files/%s#sha256=%s">%s</a></body></html>`, wheelName, hex.EncodeToString(sum[:]), wheelName)
	})
	mux.HandleFunc("/files/"+wheelName, func(w http.ResponseWriter, r *http.Request) { w.Write(wheel) })
	mux.HandleFunc("/tiny-npm", func(w http.ResponseWriter, r *http.Request) {
		sha1sum := sha1.Sum(tarball)
		sha512sum := sha512.Sum512(tarball)
		doc := map[string]any{
			"name":      "tiny-npm",
			"dist-tags": map[string]string{"latest": "1.0.0"},
			"versions": map[string]any{"1.0.0": map[string]any{
				"name": "tiny-npm", "version": "1.0.0",
				"dist": map[string]string{
					"tarball":   idx.url + "/tiny-npm/-/tiny-npm-1.0.0.tgz",
					"shasum":    hex.EncodeToString(sha1sum[:]),
					"integrity": "sha512-" + base64.StdEncoding.EncodeToString(sha512sum[:]),
				},
			}},
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(doc)
	})
	mux.HandleFunc("/tiny-npm/-/tiny-npm-1.0.0.tgz", func(w http.ResponseWriter, r *http.Request) { w.Write(tarball) })

	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		idx.requests.Add(1)
		mux.ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return idx
}

// buildWheel returns a wheel of tiny-pkg 1.0, whose module tiny_pkg has VALUE = 42.
func buildWheel(t *testing.T) []byte {
	t.Helper()
	files := []struct{ name, body string }{
		{"tiny_pkg/__init__.py", "VALUE = 42\n"},
		{"tiny_pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: tiny-pkg\nVersion: 1.0\n"},
		{"tiny_pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: sandbox-mcp-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n"},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record strings.Builder
	for _, f := range files {
		w, _ := zw.Create(f.name)
		w.Write([]byte(f.body))
		sum := sha256.Sum256([]byte(f.body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", f.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(f.body))
	}
	record.WriteString("tiny_pkg-1.0.dist-info/RECORD,,\n")
	w, _ := zw.Create("tiny_pkg-1.0.dist-info/RECORD")
	w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildNpmTarball returns the tarball of tiny-npm 1.0.0, which exports { value: 7 }.
func buildNpmTarball(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct{ name, body string }{
		{"package/package.json", `{"name":"tiny-npm","version":"1.0.0","main":"index.js"}`},
		{"package/index.js", "module.exports = { value: 7 };\n"},
	} {
		tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(0, 0)})
		tw.Write([]byte(f.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// installOutput is install_packages' structured result.
type installOutput struct {
	SessionID string `json:"session_id"`
	Installed []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"installed"`
	ExitCode int `json:"exit_code"`
}

func install(t *testing.T, c *client.Client, sessionID, language string, pkgs ...string) (toolResult, installOutput) {
	t.Helper()
	args := map[string]any{"language": language, "packages": pkgs}
	if sessionID != "" {
		args["session_id"] = sessionID
	}
	res := mustCallTool(t, c, "install_packages", args)
	var out installOutput
	if res.Structured != nil {
		if err := json.Unmarshal(res.Structured, &out); err != nil {
			t.Fatalf("decoding install_packages result %s: %v", res.Structured, err)
		}
	}
	return res, out
}

// networkProbeCode runs in the background and records, every 100 ms until the file
// /sandbox/work/stop exists, the sandbox's network interfaces and whether a connection to
// the package index's port on loopback succeeds.
const networkProbeCode = `import subprocess, sys
probe = r'''
import os, socket, time
port = int(os.environ["INDEX_PORT"])
with open("probe.log", "a") as log:
    while not os.path.exists("stop"):
        ifaces = sorted(l.split(":")[0].strip() for l in open("/proc/net/dev").readlines()[2:])
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            result = "connected"
        except OSError as e:
            result = type(e).__name__
        log.write(",".join(ifaces) + " " + result + "\n")
        log.flush()
        time.sleep(0.1)
'''
subprocess.Popen([sys.executable, "-c", probe], env={"INDEX_PORT": "%s"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print("probe started")
`

func TestInstallPackages(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	reserveServers(t, 1)
	idx := startPackageIndex(t)
	config := fmt.Sprintf(`
pool: {min_idle: 1, max_size: 4}
packages:
  network: host
  pip: {index_url: %s/simple}
  npm: {registry: %s/}
`, idx.url, idx.url)
	s := startServer(t, httpTransport, config)
	c := connect(t, s, statelessEra)

	// A background process of the conversation probes the network while packages install.
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(idx.url, "http://"))
	a := mustRun(t, c, runArgs{Code: fmt.Sprintf(networkProbeCode, port)}).SessionID

	res, out := install(t, c, a, "python", "tiny-pkg==1.0")
	if res.IsError || len(out.Installed) != 1 || out.Installed[0].Name != "tiny_pkg" || out.Installed[0].Version != "1.0" {
		t.Fatalf("install_packages(python, tiny-pkg) = isError %v, installed %+v, want tiny_pkg 1.0; text:\n%s", res.IsError, out.Installed, res.Text)
	}
	res, out = install(t, c, a, "javascript", "tiny-npm@1.0.0")
	if res.IsError || len(out.Installed) != 1 || out.Installed[0].Name != "tiny-npm" {
		t.Fatalf("install_packages(javascript, tiny-npm) = isError %v, installed %+v, want tiny-npm 1.0.0; text:\n%s", res.IsError, out.Installed, res.Text)
	}

	t.Run("imports in the same conversation", func(t *testing.T) {
		py := mustRun(t, c, runArgs{Code: "import tiny_pkg; print(tiny_pkg.VALUE)", SessionID: a})
		if py.Stdout != "42\n" {
			t.Errorf("import tiny_pkg printed %q, want %q", py.Stdout, "42\n")
		}
		js := mustRun(t, c, runArgs{Language: "javascript", Code: "console.log(require('tiny-npm').value)", SessionID: a})
		if js.Stdout != "7\n" {
			t.Errorf("require('tiny-npm') printed %q, want %q", js.Stdout, "7\n")
		}
	})

	t.Run("no network for background processes during installs", func(t *testing.T) {
		out := mustRun(t, c, runArgs{Code: "import time; open('stop','w').close(); time.sleep(0.3); print(open('probe.log').read())", SessionID: a})
		lines := strings.Split(strings.TrimSpace(out.Stdout), "\n")
		if len(lines) < 5 {
			t.Fatalf("probe recorded %d samples, want the probe running throughout the installs:\n%s", len(lines), out.Stdout)
		}
		for _, line := range lines {
			if line != "lo ConnectionRefusedError" {
				t.Errorf("probe sample %q, want only loopback and a refused connection", line)
			}
		}
	})

	t.Run("other conversations do not see the packages", func(t *testing.T) {
		res := runCode(t, c, runArgs{Code: "import tiny_pkg"})
		out := res.run(t)
		defer endSession(t, c, out.SessionID)
		if !res.IsError || !strings.Contains(out.Stderr, "ModuleNotFoundError") {
			t.Errorf("import tiny_pkg in another conversation = isError %v, stderr %q, want ModuleNotFoundError", res.IsError, out.Stderr)
		}
	})

	t.Run("invalid arguments run nothing", func(t *testing.T) {
		before := idx.requests.Load()
		many := make([]string, 1000)
		for i := range many {
			many[i] = fmt.Sprintf("pkg%d", i)
		}
		for _, tc := range []struct {
			name string
			pkgs []string
			want string
		}{
			{"shell in a marker", []string{"requests; os.system('x')"}, "requests; os.system('x')"},
			{"option", []string{"--index-url=http://evil"}, "--index-url=http://evil"},
			{"path", []string{"../../etc"}, "../../etc"},
			{"space", []string{"a b"}, "a b"},
			{"empty list", []string{}, "packages"},
			{"1000 entries", many, "packages"},
		} {
			res := mustCallTool(t, c, "install_packages", map[string]any{"language": "python", "packages": tc.pkgs, "session_id": a})
			if !res.IsError || !strings.Contains(res.Text, tc.want) {
				t.Errorf("install_packages(%s) = isError %v, text %q, want an error naming %q", tc.name, res.IsError, res.Text, tc.want)
			}
		}
		if got := idx.requests.Load() - before; got != 0 {
			t.Errorf("invalid installs sent %d requests to the index, want 0", got)
		}
	})

	t.Run("unknown package", func(t *testing.T) {
		res, _ := install(t, c, a, "python", "no-such-pkg")
		if !res.IsError || !strings.Contains(res.Text, "no-such-pkg") {
			t.Errorf("install_packages(no-such-pkg) = isError %v, text %q, want an error naming the package", res.IsError, res.Text)
		}
		out := mustRun(t, c, runArgs{Code: "import tiny_pkg; print('still here')", SessionID: a})
		if out.Stdout != "still here\n" {
			t.Errorf("run after the failed install printed %q, want %q", out.Stdout, "still here\n")
		}
	})
	endSession(t, c, a)
}
