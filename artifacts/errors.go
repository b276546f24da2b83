package artifacts

import "errors"

var (
	// ErrPlotNotFound is returned by Store.Plot for a number that no plot of the
	// conversation has.
	ErrPlotNotFound = errors.New("plot not found")

	// ErrPlotDropped is returned by Store.Plot for a plot that the conversation no longer
	// keeps because newer plots exceeded its limits.
	ErrPlotDropped = errors.New("plot dropped")

	// ErrInvalidURI is returned by ParseURI for a URI that does not name a plot.
	ErrInvalidURI = errors.New("invalid plot URI")
)
