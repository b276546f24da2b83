package artifacts

import "fmt"

// Placement is the form in which a result carries one plot: inline as an image, or as a
// link to the plot's resource.
type Placement struct {
	Plot   Plot
	Inline bool
	// Reason is the cause of linking the plot. It is empty for an inline plot.
	Reason string
}

// Place decides for each plot, in order, whether a result shows it inline or links it. A
// plot is inline when it is within limits.ImageBytes and the result stays within
// limits.ResultImages and limits.ResultBytes. A plot that does not fit is linked, but a
// later, smaller plot may still be inline.
func Place(plots []Plot, limits Limits) []Placement {
	placements := make([]Placement, 0, len(plots))
	images, total := 0, int64(0)
	for _, p := range plots {
		reason := linkReason(p, images, total, limits)
		if reason == "" {
			images++
			total += int64(len(p.Data))
		}
		placements = append(placements, Placement{Plot: p, Inline: reason == "", Reason: reason})
	}
	return placements
}

// linkReason returns why p cannot be inline in a result that already shows images of
// total bytes, or "" when it can.
func linkReason(p Plot, images int, total int64, limits Limits) string {
	size := int64(len(p.Data))
	switch {
	case p.TooLarge:
		return fmt.Sprintf("at %d×%d pixels it is too large to scale down to %d pixels", p.Width, p.Height, limits.MaxSide)
	case size > limits.ImageBytes:
		return fmt.Sprintf("its %s exceed the limit of %s per image", FormatBytes(size), FormatBytes(limits.ImageBytes))
	case images >= limits.ResultImages:
		return fmt.Sprintf("the result already shows %s, the limit per result", Count(limits.ResultImages, "image"))
	case total+size > limits.ResultBytes:
		return fmt.Sprintf("its %s would bring the images of the result over the limit of %s per result", FormatBytes(size), FormatBytes(limits.ResultBytes))
	}
	return ""
}
