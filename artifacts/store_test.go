package artifacts

import (
	"errors"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func numbers(plots []Plot) []int {
	var n []int
	for _, p := range plots {
		n = append(n, p.Number)
	}
	return n
}

func TestStoreNumbersAndSelects(t *testing.T) {
	var s Store
	limits := testLimits()
	s.Add(1, []Plot{sized(1), sized(1)}, limits)
	s.Add(2, nil, limits)
	kept, dropped := s.Add(3, []Plot{sized(1)}, limits)
	if diff := cmp.Diff([]int{3}, numbers(kept)); diff != "" || dropped != 0 {
		t.Errorf("Add(run 3) = %v, %d dropped, want [3], 0 (diff %s)", numbers(kept), dropped, diff)
	}

	tests := []struct {
		name  string
		query Query
		want  []int
	}{
		{name: "all", query: Query{}, want: []int{1, 2, 3}},
		{name: "run 1", query: Query{Run: 1}, want: []int{1, 2}},
		{name: "run without plots", query: Query{Run: 2}, want: nil},
		{name: "last 2", query: Query{Last: 2}, want: []int{2, 3}},
		{name: "last 1 of run 1", query: Query{Run: 1, Last: 1}, want: []int{2}},
		{name: "last more than kept", query: Query{Last: 10}, want: []int{1, 2, 3}},
		{name: "after 1", query: Query{After: 1}, want: []int{2, 3}},
		{name: "after 1 of run 1", query: Query{Run: 1, After: 1}, want: []int{2}},
		{name: "after the last", query: Query{After: 3}, want: nil},
		{name: "after 1, last 1", query: Query{After: 1, Last: 1}, want: []int{3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, numbers(s.Select(tt.query))); diff != "" {
				t.Errorf("Select(%+v) mismatch (-want +got):\n%s", tt.query, diff)
			}
		})
	}
	if p, err := s.Plot(2); err != nil || p.Run != 1 {
		t.Errorf("Plot(2) = run %d, %v, want run 1", p.Run, err)
	}
}

func TestStoreDropsOldest(t *testing.T) {
	tests := []struct {
		name        string
		runs        [][]int // plot sizes per run
		wantKept    []int
		wantDropped int
		wantLast    int // dropped from the last run's own plots
	}{
		{name: "count limit", runs: [][]int{{1, 1, 1}, {1, 1, 1}}, wantKept: []int{3, 4, 5, 6}, wantDropped: 2},
		{name: "byte limit", runs: [][]int{{6000}, {3000}, {3000}}, wantKept: []int{2, 3}, wantDropped: 1},
		{name: "newest kept over the byte limit", runs: [][]int{{100}, {20000}}, wantKept: []int{2}, wantDropped: 1},
		{name: "one run over the count limit", runs: [][]int{{1, 1, 1, 1, 1, 1}}, wantKept: []int{3, 4, 5, 6}, wantDropped: 2, wantLast: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Store
			var lastDropped int
			for i, sizes := range tt.runs {
				var plots []Plot
				for _, n := range sizes {
					plots = append(plots, sized(n))
				}
				_, lastDropped = s.Add(i+1, plots, testLimits())
			}
			if diff := cmp.Diff(tt.wantKept, numbers(s.Select(Query{}))); diff != "" {
				t.Errorf("Select() after Add mismatch (-want +got):\n%s", diff)
			}
			if kept, dropped := s.Counts(); kept != len(tt.wantKept) || dropped != tt.wantDropped {
				t.Errorf("Counts() = %d, %d, want %d, %d", kept, dropped, len(tt.wantKept), tt.wantDropped)
			}
			if lastDropped != tt.wantLast {
				t.Errorf("Add(last run) dropped = %d, want %d", lastDropped, tt.wantLast)
			}
		})
	}
}

func TestStorePlotErrors(t *testing.T) {
	var s Store
	limits := testLimits()
	for run := 1; run <= 6; run++ {
		s.Add(run, []Plot{sized(1)}, limits)
	}
	tests := []struct {
		number int
		want   error
	}{
		{number: 0, want: ErrPlotNotFound},
		{number: 7, want: ErrPlotNotFound},
		{number: 1, want: ErrPlotDropped},
		{number: 2, want: ErrPlotDropped},
		{number: 3, want: nil},
		{number: 6, want: nil},
	}
	for _, tt := range tests {
		p, err := s.Plot(tt.number)
		if !errors.Is(err, tt.want) {
			t.Errorf("Plot(%d) error = %v, want %v", tt.number, err, tt.want)
		}
		if err == nil && p.Number != tt.number {
			t.Errorf("Plot(%d) = plot %d", tt.number, p.Number)
		}
	}
}

func TestStoreConcurrentAdds(t *testing.T) {
	var s Store
	limits := testLimits()
	limits.KeptPlots = 1000
	var wg sync.WaitGroup
	for run := 1; run <= 20; run++ {
		wg.Go(func() { s.Add(run, []Plot{sized(1), sized(1)}, limits) })
	}
	wg.Wait()
	all := s.Select(Query{})
	if len(all) != 40 {
		t.Fatalf("Select() = %d plots, want 40", len(all))
	}
	for i, p := range all {
		if p.Number != i+1 {
			t.Fatalf("Select()[%d].Number = %d, want %d", i, p.Number, i+1)
		}
	}
}
