package tools_test

import (
	"slices"
	"testing"
	"time"

	"github.com/sandbox-mcp/sandbox-mcp/artifacts"
	"github.com/sandbox-mcp/sandbox-mcp/tools"
)

// BenchmarkRunCodePlot measures what plot capture costs: a run_code call whose program
// draws one matplotlib line plot and calls plt.show(), with capture (the plot is rendered,
// saved, collected and returned) and without it (MPLBACKEND=Agg, no artifact directory, so
// plt.show() renders nothing). A third case saves the plot with savefig and no capture, to
// show how much of the difference is rendering. Each iteration runs in the same warm
// container of one conversation. Run it as
//
//	go test -run '^$' -bench RunCodePlot -benchtime 20x ./tools/
//
// for the median of 20 calls per case, reported as median-ms.
func BenchmarkRunCodePlot(b *testing.B) {
	pp := startPythonPool(b)
	const plot = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9])\nplt.title('squares')\n"
	cases := []struct {
		name   string
		plots  tools.Plots
		code   string
		images int
	}{
		{name: "capture", plots: tools.Plots{Format: artifacts.PNG, Limits: plotLimits}, code: plot + "plt.show()\n", images: 1},
		{name: "no_capture", code: plot + "plt.show()\n"},
		{name: "no_capture_savefig", code: plot + "plt.savefig('plot.png')\n"},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			c := newClient(b, newServer(b, pp, bc.plots), sessionEra)
			session := runCode(b, c, "", "print('warm')\n").session(b)
			var durations []time.Duration
			for b.Loop() {
				began := time.Now()
				res := runCode(b, c, session, bc.code)
				durations = append(durations, time.Since(began))
				if res.raw.IsError || len(res.images) != bc.images {
					b.Fatalf("run_code: isError %v, %d images, want success with %d\n%s", res.raw.IsError, len(res.images), bc.images, res.text)
				}
			}
			slices.Sort(durations)
			b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "median-ms")
		})
	}
}
