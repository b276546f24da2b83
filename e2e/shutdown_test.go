package e2e

import (
	"syscall"
	"testing"
	"time"
)

func TestServerSIGTERM(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	reserveServers(t, 1)

	for _, transport := range []string{stdioTransport, httpTransport} {
		t.Run(transport, func(t *testing.T) {
			s := startServer(t, transport, smallPool)
			// Over HTTP there is one conversation of each era. A stdio server serves a single
			// client.
			var hosts []string
			host, _ := containerOf(t, connect(t, s, sessionEra), "")
			hosts = append(hosts, host)
			if transport == httpTransport {
				host, _ := containerOf(t, connect(t, s, statelessEra), "")
				hosts = append(hosts, host)
			}
			for _, host := range hosts {
				if _, found := findContainer(t, s, host); !found {
					t.Fatalf("container %s of a live conversation is not in the engine's list", host)
				}
			}

			start := time.Now()
			s.signal(t, syscall.SIGTERM)
			code, exited := s.wait(10 * time.Second)
			if !exited {
				t.Fatal("server still runs 10 s after SIGTERM, want it to exit")
			}
			t.Logf("server exited %s after SIGTERM", time.Since(start).Round(time.Millisecond))
			if code != 0 {
				t.Errorf("server exit code after SIGTERM = %d, want 0", code)
			}
			if left := mustListContainers(t, s, nil); len(left) > 0 {
				t.Errorf("containers of instance %s after SIGTERM = %v, want none", s.instance, left)
			}
		})
	}
}

func TestServerSIGKILLOrphans(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, backend string) {
		reserveServers(t, 1)

		killed := startServerOn(t, backend, httpTransport, smallPool)
		containerOf(t, connect(t, killed, statelessEra), "")
		killed.signal(t, syscall.SIGKILL)
		if _, exited := killed.wait(10 * time.Second); !exited {
			t.Fatal("server still runs 10 s after SIGKILL")
		}
		orphans := mustListContainers(t, killed, nil)
		if len(orphans) == 0 {
			t.Fatalf("instance %s left no containers after SIGKILL, want its leased and idle containers", killed.instance)
		}
		t.Logf("SIGKILL left %d containers: %v", len(orphans), orphans)

		next := startServerOn(t, backend, httpTransport, smallPool)
		connect(t, next, statelessEra)
		if left := mustListContainers(t, killed, nil); len(left) > 0 {
			t.Errorf("containers of killed instance %s after the next server initialized = %v, want none", killed.instance, left)
		}
	})
}
