package pool_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/pool"
	"github.com/sandbox-mcp/sandbox-mcp/pool/backendtest"
)

func testConfig(mod func(*pool.Config)) pool.Config {
	cfg := pool.Config{
		Name:           "python",
		Language:       "python",
		Spec:           pool.Spec{Image: "img"},
		MinIdle:        2,
		MaxSize:        4,
		AcquireTimeout: 5 * time.Second,
		Exhaustion:     pool.ExhaustWait,
		Prewarm:        true,
		Instance:       "0123456789abcdef",
		Host:           "host",
	}
	if mod != nil {
		mod(&cfg)
	}
	return cfg
}

func newPool(t *testing.T, b pool.Backend, mod func(*pool.Config)) *pool.Pool {
	t.Helper()
	p := pool.New(b, testConfig(mod))
	t.Cleanup(func() {
		if err := p.Close(context.Background()); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return p
}

// waitFor polls cond inside a synctest bubble, where time only passes when every goroutine
// is blocked.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestPrewarmFillsMinIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{CreateDelay: 100 * time.Millisecond}
		p := newPool(t, fake, nil)
		waitFor(t, "two idle containers", func() bool { return p.Stats().Idle == 2 })
		synctest.Wait()
		if got := p.Stats(); got.Total != 2 || got.Created != 2 {
			t.Errorf("Stats() = %+v, want total 2 and created 2", got)
		}
	})
}

func TestLeaseLabelsAndRefill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{}
		p := newPool(t, fake, nil)
		waitFor(t, "warm pool", func() bool { return p.Stats().Idle == 2 })

		l, err := p.Lease(t.Context(), "s_conv")
		if err != nil {
			t.Fatalf("Lease() = %v", err)
		}
		list, _ := fake.List(t.Context(), map[string]string{pool.LabelManaged: "true", pool.LabelPool: "python", pool.LabelInstance: "0123456789abcdef"})
		if len(list) != 2 {
			t.Errorf("List(our labels) found %d containers, want 2", len(list))
		}
		waitFor(t, "refill after lease", func() bool { return p.Stats().Idle == 2 })

		if err := l.Release(pool.ReasonConversationEnd); err != nil {
			t.Fatalf("Release() = %v", err)
		}
		if err := l.Release(pool.ReasonConversationEnd); err != nil {
			t.Errorf("second Release() = %v, want nil", err)
		}
		synctest.Wait()
		st := p.Stats()
		if st.Leased != 0 || st.Removed[pool.ReasonConversationEnd] != 1 {
			t.Errorf("after Release, Stats() = %+v, want 0 leased and 1 removed for conversation_end", st)
		}
		for _, id := range fake.Live() {
			if id == l.ContainerID() {
				t.Errorf("released container %s still exists", id)
			}
		}
	})
}

func TestLeaseNeverExceedsMaxSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{CreateDelay: 50 * time.Millisecond}
		p := newPool(t, fake, func(c *pool.Config) { c.MaxSize = 3; c.MinIdle = 1 })
		var leases []*pool.Lease
		for range 3 {
			l, err := p.Lease(t.Context(), "c")
			if err != nil {
				t.Fatalf("Lease() = %v", err)
			}
			leases = append(leases, l)
		}
		synctest.Wait()
		if n := len(fake.Live()); n != 3 {
			t.Errorf("engine has %d containers, want max_size 3", n)
		}
		for _, l := range leases {
			l.Release(pool.ReasonConversationEnd)
		}
	})
}

func TestExhaustionStrategies(t *testing.T) {
	t.Run("fail_fast", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newPool(t, &backendtest.Fake{}, func(c *pool.Config) { c.MaxSize = 1; c.MinIdle = 1; c.Exhaustion = pool.ExhaustFailFast })
			l, err := p.Lease(t.Context(), "a")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Release(pool.ReasonConversationEnd)
			if _, err := p.Lease(t.Context(), "b"); !errors.Is(err, pool.ErrExhausted) {
				t.Errorf("Lease() on a full pool = %v, want ErrExhausted", err)
			}
			if got := p.Stats().Exhausted; got != 1 {
				t.Errorf("Stats().Exhausted = %d, want 1", got)
			}
		})
	})

	t.Run("wait times out", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newPool(t, &backendtest.Fake{}, func(c *pool.Config) { c.MaxSize = 1; c.MinIdle = 1; c.AcquireTimeout = 3 * time.Second })
			l, _ := p.Lease(t.Context(), "a")
			defer l.Release(pool.ReasonConversationEnd)
			start := time.Now()
			_, err := p.Lease(t.Context(), "b")
			if !errors.Is(err, pool.ErrExhausted) {
				t.Errorf("Lease() = %v, want ErrExhausted after the acquire timeout", err)
			}
			if waited := time.Since(start); waited != 3*time.Second {
				t.Errorf("Lease() waited %v, want the acquire timeout 3s", waited)
			}
		})
	})

	t.Run("wait times out while creating", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			// Containers take longer to start than a lease waits, as pods waiting for a node.
			fake := &backendtest.Fake{CreateDelay: time.Minute}
			p := newPool(t, fake, func(c *pool.Config) { c.MaxSize = 2; c.MinIdle = 1; c.AcquireTimeout = 3 * time.Second })
			_, err := p.Lease(t.Context(), "a")
			if !errors.Is(err, pool.ErrNotReady) || errors.Is(err, pool.ErrExhausted) {
				t.Errorf("Lease() = %v, want ErrNotReady: no container is in use", err)
			}
		})
	})

	t.Run("wait is served after a release", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newPool(t, &backendtest.Fake{CreateDelay: 200 * time.Millisecond}, func(c *pool.Config) { c.MaxSize = 1; c.MinIdle = 1 })
			first, err := p.Lease(t.Context(), "a")
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan error, 1)
			go func() {
				l, err := p.Lease(t.Context(), "b")
				if err == nil {
					defer l.Release(pool.ReasonConversationEnd)
				}
				got <- err
			}()
			time.Sleep(time.Second)
			first.Release(pool.ReasonConversationEnd)
			if err := <-got; err != nil {
				t.Errorf("waiting Lease() = %v, want a container once the first was released", err)
			}
			if st := p.Stats(); st.Waits != 1 {
				t.Errorf("Stats().Waits = %d, want 1", st.Waits)
			}
		})
	})

	t.Run("temporary", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			fake := &backendtest.Fake{}
			p := newPool(t, fake, func(c *pool.Config) { c.MaxSize = 1; c.MinIdle = 1; c.Exhaustion = pool.ExhaustTemporary })
			a, _ := p.Lease(t.Context(), "a")
			b, err := p.Lease(t.Context(), "b")
			if err != nil {
				t.Fatalf("Lease() on a full pool = %v, want a temporary container", err)
			}
			if !b.Temporary() || a.Temporary() {
				t.Errorf("Temporary() = %v, %v, want false for the pooled lease and true for the extra", a.Temporary(), b.Temporary())
			}
			list, _ := fake.List(t.Context(), map[string]string{pool.LabelTemporary: "true", pool.LabelConversation: "b"})
			if len(list) != 1 {
				t.Errorf("temporary containers labelled with conversation b: %d, want 1", len(list))
			}
			st := p.Stats()
			if st.Total != 1 || st.Temporary != 1 {
				t.Errorf("Stats() = %+v, want total 1 (max_size) and 1 temporary", st)
			}
			b.Release(pool.ReasonConversationEnd)
			synctest.Wait()
			if st := p.Stats(); st.Temporary != 0 || st.Total > 1 {
				t.Errorf("after release, Stats() = %+v, want no temporary and total <= 1", st)
			}
			a.Release(pool.ReasonConversationEnd)
		})
	})
}

func TestLeaseReplacesDeadIdleContainer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{}
		p := newPool(t, fake, func(c *pool.Config) { c.MinIdle = 1 })
		waitFor(t, "warm pool", func() bool { return p.Stats().Idle == 1 })
		dead := fake.Live()[0]
		fake.SetStatus(dead, pool.Status{Running: false, ExitCode: 137})

		l, err := p.Lease(t.Context(), "a")
		if err != nil {
			t.Fatalf("Lease() = %v", err)
		}
		if l.ContainerID() == dead {
			t.Errorf("Lease() handed out the dead container %s", dead)
		}
		synctest.Wait()
		if got := p.Stats().Removed[pool.ReasonUnhealthy]; got != 1 {
			t.Errorf("Stats().Removed[unhealthy] = %d, want 1", got)
		}
		l.Release(pool.ReasonConversationEnd)
	})
}

func TestHealthCheckAndMaxLifetime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{}
		p := newPool(t, fake, func(c *pool.Config) {
			c.MinIdle = 1
			c.HealthCheckInterval = time.Minute
			c.MaxLifetime = 10 * time.Minute
		})
		waitFor(t, "warm pool", func() bool { return p.Stats().Idle == 1 })
		fake.SetStatus(fake.Live()[0], pool.Status{Running: false})
		time.Sleep(time.Minute + time.Second)
		synctest.Wait()
		if got := p.Stats().Removed[pool.ReasonUnhealthy]; got != 1 {
			t.Errorf("after a health check, Removed[unhealthy] = %d, want 1", got)
		}

		time.Sleep(11 * time.Minute)
		synctest.Wait()
		if got := p.Stats().Removed[pool.ReasonExpired]; got < 1 {
			t.Errorf("after max_lifetime, Removed[expired] = %d, want at least 1", got)
		}
		if got := p.Stats().Idle; got != 1 {
			t.Errorf("Idle = %d after replacements, want min_idle 1", got)
		}
	})
}

func TestCreateFailureBacksOffAndRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var failing atomic.Bool
		failing.Store(true)
		var attempts atomic.Int32
		fake := &backendtest.Fake{FailCreate: func(pool.Spec) error {
			attempts.Add(1)
			if failing.Load() {
				return pool.ErrEngineUnavailable
			}
			return nil
		}}
		p := newPool(t, fake, func(c *pool.Config) { c.MinIdle = 1 })

		if _, err := p.Lease(t.Context(), "a"); !errors.Is(err, pool.ErrEngineUnavailable) {
			t.Errorf("Lease() with the engine down = %v, want ErrEngineUnavailable", err)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		// Backoff doubles from 500 ms up to 30 s: 10 s leaves room for at most 6 retries.
		if n := attempts.Load(); n > 8 {
			t.Errorf("%d creation attempts in 10 s, want backoff to keep it at most 8", n)
		}
		st := p.Stats()
		if st.CreateFailures == 0 || st.LastCreateError == "" {
			t.Errorf("Stats() = %+v, want failures and the last error recorded", st)
		}

		failing.Store(false)
		time.Sleep(40 * time.Second)
		synctest.Wait()
		if st := p.Stats(); st.Idle != 1 || st.LastCreateError != "" {
			t.Errorf("after the engine is back, Stats() = %+v, want 1 idle and no last error", st)
		}
	})
}

func TestWarmFailureLeavesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{}
		p := newPool(t, fake, func(c *pool.Config) {
			c.MinIdle = 1
			c.Warm = func(context.Context, pool.Backend, string) error { return errors.New("probe failed") }
		})
		time.Sleep(time.Second)
		synctest.Wait()
		if live := fake.Live(); len(live) != 0 {
			t.Errorf("engine has %d containers after failed warm-ups, want 0", len(live))
		}
		if st := p.Stats(); st.Total != 0 || st.CreateFailures == 0 {
			t.Errorf("Stats() = %+v, want no containers counted and failures recorded", st)
		}
	})
}

func TestCloseRemovesEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{CreateDelay: 100 * time.Millisecond}
		p := pool.New(fake, testConfig(func(c *pool.Config) { c.MaxSize = 2; c.MinIdle = 2; c.Exhaustion = pool.ExhaustTemporary }))
		waitFor(t, "warm pool", func() bool { return p.Stats().Idle == 2 })
		var leases []*pool.Lease
		for _, conv := range []string{"a", "b", "c"} {
			l, err := p.Lease(t.Context(), conv)
			if err != nil {
				t.Fatal(err)
			}
			leases = append(leases, l)
		}
		waiting := make(chan error, 1)
		go func() {
			_, err := p.Lease(t.Context(), "d")
			waiting <- err
		}()
		time.Sleep(50 * time.Millisecond) // the temporary creation for d is under way

		if err := p.Close(t.Context()); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		<-waiting
		synctest.Wait()
		if live := fake.Live(); len(live) != 0 {
			t.Errorf("after Close, the engine has %d containers, want 0", len(live))
		}
		if _, err := p.Lease(t.Context(), "e"); !errors.Is(err, pool.ErrClosed) {
			t.Errorf("Lease() after Close = %v, want ErrClosed", err)
		}
		for _, l := range leases {
			if err := l.Release(pool.ReasonConversationEnd); err != nil {
				t.Errorf("Release() after Close = %v, want nil", err)
			}
		}
	})
}

func TestConcurrentLeasesAndReleases(t *testing.T) {
	fake := &backendtest.Fake{}
	p := newPool(t, fake, func(c *pool.Config) { c.MaxSize = 4; c.MinIdle = 2; c.AcquireTimeout = 10 * time.Second })
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			l, err := p.Lease(t.Context(), "c")
			if err != nil {
				t.Errorf("Lease() = %v", err)
				return
			}
			if n := p.Stats().Total; n > 4 {
				t.Errorf("Stats().Total = %d, want at most max_size 4", n)
			}
			l.Release(pool.ReasonConversationEnd)
		})
	}
	wg.Wait()
}

func TestFailFastTakesContainerBeingCreated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{CreateDelay: 200 * time.Millisecond}
		p := newPool(t, fake, func(c *pool.Config) { c.MaxSize = 2; c.MinIdle = 1; c.Exhaustion = pool.ExhaustFailFast })
		waitFor(t, "warm pool", func() bool { return p.Stats().Idle == 1 })

		first, err := p.Lease(t.Context(), "a") // the refill now creates the second container
		if err != nil {
			t.Fatal(err)
		}
		second, err := p.Lease(t.Context(), "b")
		if err != nil {
			t.Fatalf("Lease() while the refill creates the last container = %v, want that container", err)
		}
		if _, err := p.Lease(t.Context(), "c"); !errors.Is(err, pool.ErrExhausted) {
			t.Errorf("Lease() with both containers leased = %v, want ErrExhausted", err)
		}
		first.Release(pool.ReasonConversationEnd)
		second.Release(pool.ReasonConversationEnd)
	})
}

func TestTemporaryAfterSlowCreation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{CreateDelay: 10 * time.Second}
		p := newPool(t, fake, func(c *pool.Config) {
			c.MaxSize = 1
			c.MinIdle = 1
			c.Exhaustion = pool.ExhaustTemporary
			c.AcquireTimeout = 2 * time.Second
		})
		// The pooled container takes 10 s to create, longer than the acquire timeout.
		l, err := p.Lease(t.Context(), "a")
		if err != nil {
			t.Fatalf("Lease() while the only pooled container is being created = %v, want a temporary container", err)
		}
		if !l.Temporary() {
			t.Errorf("Temporary() = false, want true for the fallback container")
		}
		l.Release(pool.ReasonConversationEnd)
	})
}

// inspectCtx is a Fake whose Inspect fails with its context's error, as engines' do.
type inspectCtx struct{ *backendtest.Fake }

func (b inspectCtx) Inspect(ctx context.Context, id string) (pool.Status, error) {
	if err := ctx.Err(); err != nil {
		return pool.Status{}, err
	}
	return b.Fake.Inspect(ctx, id)
}

func TestLeaseCancelledKeepsIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{}
		p := newPool(t, inspectCtx{fake}, func(c *pool.Config) { c.MaxSize = 4; c.MinIdle = 3 })
		waitFor(t, "3 idle containers", func() bool { return p.Stats().Idle == 3 })

		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := p.Lease(ctx, "a"); !errors.Is(err, context.Canceled) {
			t.Errorf("Lease() with a cancelled context = %v, want %v", err, context.Canceled)
		}
		synctest.Wait()
		if got := p.Stats().Removed[pool.ReasonUnhealthy]; got != 0 {
			t.Errorf("Stats().Removed[unhealthy] = %d, want 0: a check that could not run proves nothing", got)
		}
		if got := fake.Removed(); got != 1 {
			t.Errorf("containers removed = %d, want 1, the one the lease took", got)
		}
	})
}

func TestCloseHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{FailRemove: func(string) error {
			time.Sleep(20 * time.Second)
			return nil
		}}
		p := pool.New(fake, testConfig(func(c *pool.Config) { c.MaxSize = 1; c.MinIdle = 1 }))
		waitFor(t, "an idle container", func() bool { return p.Stats().Idle == 1 })

		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		start := time.Now()
		err := p.Close(ctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close() with a removal slower than its context = %v, want %v", err, context.DeadlineExceeded)
		}
		if took := time.Since(start); took > 4*time.Second {
			t.Errorf("Close() took %v, want about its 1s context plus the 2s drain", took)
		}
		time.Sleep(time.Minute) // let the background removal finish inside the bubble
	})
}

// TestRefillIgnoresTemporary checks that a temporary container being created does not
// stand in for a missing warm one.
func TestRefillIgnoresTemporary(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		fake := &backendtest.Fake{CreateDelay: 3 * time.Second}
		p := newPool(t, fake, func(c *pool.Config) {
			c.MaxSize, c.MinIdle = 1, 1
			c.Exhaustion = pool.ExhaustTemporary
			c.AcquireTimeout = time.Second
		})
		waitFor(t, "a warm container", func() bool { return p.Stats().Idle == 1 })
		first, err := p.Lease(t.Context(), "a")
		if err != nil {
			t.Fatal(err)
		}

		// The second lease waits 1 s in vain, then creates a temporary container for 3 s.
		done := make(chan *pool.Lease)
		go func() {
			l, err := p.Lease(t.Context(), "b")
			if err != nil {
				t.Errorf("Lease(b) = %v", err)
			}
			done <- l
		}()
		time.Sleep(2 * time.Second)
		if err := first.Release(pool.ReasonConversationEnd); err != nil {
			t.Fatal(err)
		}
		second := <-done
		defer second.Release(pool.ReasonConversationEnd)

		waitFor(t, "the pool refilled to min_idle", func() bool { return p.Stats().Idle == 1 })
	})
}
