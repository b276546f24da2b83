package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
)

const (
	// conversations is how many conversations each exhaustion test starts at once.
	conversations = 16
	// poolMaxSize is the max_size of the exhaustion tests' pools.
	poolMaxSize = 4
)

// holdCode keeps a sandbox leased long enough that every conversation of a test has its
// sandbox at the same time, even while temporary containers are still being created.
const holdCode = "import time; time.sleep(6); print('held')"

// poolConfig is the config of an exhaustion test's server.
func poolConfig(exhaustion string) string {
	return fmt.Sprintf(`
pool: {min_idle: 1, max_size: %d, exhaustion: %s, acquire_timeout: 60s}
runtimes:
  javascript: {enabled: false}
`, poolMaxSize, exhaustion)
}

// conversationOutcome is the result of one conversation of an exhaustion test.
type conversationOutcome struct {
	run toolResult
	err error // a protocol error of run_code or end_session, or a failed end_session
}

// runConversations waits for the server's pool to be warm, then starts n conversations at
// once, each on its own stateless client. Each conversation runs code and ends itself with
// end_session when the run succeeded.
func runConversations(t *testing.T, s *server, n int, code string) []conversationOutcome {
	t.Helper()
	s.waitWarm(t)
	clients := make([]*client.Client, n)
	for i := range clients {
		clients[i] = connect(t, s, statelessEra)
	}
	outcomes := make([]conversationOutcome, n)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { outcomes[i] = runConversation(c, code) })
	}
	wg.Wait()
	return outcomes
}

func runConversation(c *client.Client, code string) conversationOutcome {
	res, err := callTool(c, "run_code", runArgs{Code: code}.arguments())
	if err != nil || res.IsError {
		return conversationOutcome{run: res, err: err}
	}
	id := sessionIDOf(res)
	ended, err := callTool(c, "end_session", map[string]any{"session_id": id})
	if err == nil && ended.IsError {
		err = fmt.Errorf("end_session(%q) = %q", id, ended.Text)
	}
	return conversationOutcome{run: res, err: err}
}

// containerPeaks is a background sampler of a server instance's containers. It records the
// max number of pool containers (temporary=false) and of all containers seen at once.
type containerPeaks struct {
	mu        sync.Mutex
	pooled    int   // guarded by mu
	total     int   // guarded by mu
	samples   int   // guarded by mu
	lastError error // guarded by mu

	cancel context.CancelFunc
	done   chan struct{}
}

func sampleContainers(s *server) *containerPeaks {
	ctx, cancel := context.WithCancel(context.Background())
	p := &containerPeaks{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for ctx.Err() == nil {
			p.sample(ctx, s)
			time.Sleep(100 * time.Millisecond)
		}
	}()
	return p
}

func (p *containerPeaks) sample(ctx context.Context, s *server) {
	list, err := listContainers(ctx, s, nil)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil {
			p.lastError = err
		}
		return
	}
	pooled := 0
	for _, c := range list {
		if c.Labels[pool.LabelTemporary] == "false" {
			pooled++
		}
	}
	p.pooled = max(p.pooled, pooled)
	p.total = max(p.total, len(list))
	p.samples++
}

// stop ends the sampling and returns the peaks.
func (p *containerPeaks) stop(t *testing.T) (pooled, total int) {
	t.Helper()
	p.cancel()
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastError != nil {
		t.Errorf("sampling containers: %v", p.lastError)
	}
	if p.samples == 0 {
		t.Errorf("no container list was sampled while the conversations ran")
	}
	t.Logf("container peaks over %d samples: %d pooled, %d in all", p.samples, p.pooled, p.total)
	return p.pooled, p.total
}

func TestPoolExhaustion(t *testing.T) {
	requireEngine(t)
	t.Parallel()
	reserveServers(t, 1)

	t.Run("wait", func(t *testing.T) {
		s := startServer(t, httpTransport, poolConfig("wait"))
		peaks := sampleContainers(s)
		outcomes := runConversations(t, s, conversations, "print('ok')")
		pooled, _ := peaks.stop(t)

		for i, o := range outcomes {
			if o.err != nil || o.run.IsError {
				t.Errorf("conversation %d: error %v, result %q; want success after waiting for a sandbox", i, o.err, o.run.Text)
			}
		}
		if pooled > poolMaxSize {
			t.Errorf("pool containers at once = %d, want at most max_size %d", pooled, poolMaxSize)
		}
	})

	t.Run("fail_fast", func(t *testing.T) {
		s := startServer(t, httpTransport, poolConfig("fail_fast"))
		outcomes := runConversations(t, s, conversations, holdCode)

		succeeded := 0
		for i, o := range outcomes {
			switch {
			case o.err != nil:
				t.Errorf("conversation %d: %v", i, o.err)
			case !o.run.IsError:
				succeeded++
			case !strings.Contains(o.run.Text, "Every python sandbox is in use"):
				t.Errorf("conversation %d: error %q, want it to say that every python sandbox is in use", i, o.run.Text)
			}
		}
		if succeeded != poolMaxSize {
			t.Errorf("%d of %d conversations ran, want max_size %d (the rest rejected at once)", succeeded, conversations, poolMaxSize)
		}
	})

	t.Run("temporary", func(t *testing.T) {
		s := startServer(t, httpTransport, poolConfig("temporary"))
		peaks := sampleContainers(s)
		outcomes := runConversations(t, s, conversations, holdCode)
		pooled, total := peaks.stop(t)

		for i, o := range outcomes {
			if o.err != nil || o.run.IsError {
				t.Errorf("conversation %d: error %v, result %q; want success in a temporary sandbox", i, o.err, o.run.Text)
			}
		}
		if pooled > poolMaxSize {
			t.Errorf("pool containers (temporary=false) at once = %d, want at most max_size %d", pooled, poolMaxSize)
		}
		if total < conversations {
			t.Errorf("containers at once = %d, want all %d conversations holding one", total, conversations)
		}
		if left := mustListContainers(t, s, map[string]string{pool.LabelTemporary: "true"}); len(left) > 0 {
			t.Errorf("temporary containers after every conversation ended = %v, want none", left)
		}
	})
}
