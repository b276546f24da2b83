package artifacts

import (
	"fmt"
	"sync"
)

// Store holds the plots of one conversation, oldest first. The zero value is an empty
// store, ready to use. A Store is safe for concurrent use.
type Store struct {
	mu      sync.Mutex
	plots   []Plot // oldest first; guarded by mu
	bytes   int64  // total of len(Data) of plots; guarded by mu
	last    int    // number of the last plot added; guarded by mu
	dropped int    // plots removed to stay within the limits; guarded by mu
}

// Add numbers plots, made by run, after the plots already stored and appends them. Then
// it drops the oldest plots until the store is within limits.KeptPlots and
// limits.KeptBytes, always keeping the newest plot. It returns the plots of this call
// that are kept, and how many of them were dropped at once because this run alone made
// more than the store keeps.
func (s *Store) Add(run int, plots []Plot, limits Limits) (kept []Plot, dropped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range plots {
		s.last++
		p.Number, p.Run = s.last, run
		s.plots = append(s.plots, p)
		s.bytes += int64(len(p.Data))
	}
	for len(s.plots) > 1 && (len(s.plots) > limits.KeptPlots || s.bytes > limits.KeptBytes) {
		s.bytes -= int64(len(s.plots[0].Data))
		s.plots[0] = Plot{} // let the data go
		s.plots = s.plots[1:]
		s.dropped++
	}
	n := min(len(plots), len(s.plots))
	return append([]Plot(nil), s.plots[len(s.plots)-n:]...), len(plots) - n
}

// Plot returns the plot numbered number. It returns an error wrapping ErrPlotDropped for a
// plot dropped to stay within the limits, and ErrPlotNotFound for a number no plot had.
func (s *Store) Plot(number int) (Plot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if number < 1 || number > s.last {
		return Plot{}, fmt.Errorf("%w: plot %d", ErrPlotNotFound, number)
	}
	first := s.last - len(s.plots) + 1
	if number < first {
		return Plot{}, fmt.Errorf("%w: plot %d, only plots from %d on are kept", ErrPlotDropped, number, first)
	}
	return s.plots[number-first], nil
}

// Query selects plots from a Store. Its zero value selects every plot.
type Query struct {
	// Run selects the plots of one run; zero means every run.
	Run int
	// After selects the plots numbered above it.
	After int
	// Last selects the newest Last plots of those Run and After select; zero means all.
	Last int
}

// Select returns the kept plots that q selects, oldest first.
func (s *Store) Select(q Query) []Plot {
	s.mu.Lock()
	defer s.mu.Unlock()
	var selected []Plot
	for _, p := range s.plots {
		if (q.Run == 0 || p.Run == q.Run) && p.Number > q.After {
			selected = append(selected, p)
		}
	}
	if q.Last > 0 && len(selected) > q.Last {
		selected = selected[len(selected)-q.Last:]
	}
	return selected
}

// Counts returns how many plots the store keeps and how many it dropped to stay within its
// limits.
func (s *Store) Counts() (kept, dropped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.plots), s.dropped
}
