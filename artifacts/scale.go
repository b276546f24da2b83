package artifacts

import (
	"image"
	"math"

	"golang.org/x/image/draw"
)

// scaleDown returns src scaled so that its longest side is maxSide pixels, keeping its
// aspect ratio. When shrinking, x/image/draw widens the Catmull-Rom kernel so that every
// source pixel contributes, so thin plot lines fade rather than vanish.
func scaleDown(src image.Image, maxSide int) image.Image {
	b := src.Bounds()
	width, height := fitSize(b.Dx(), b.Dy(), maxSide)
	dst := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	return dst
}

// fitSize returns width and height scaled so that the longer is maxSide, the shorter
// rounded and at least 1.
func fitSize(width, height, maxSide int) (int, int) {
	if width >= height {
		return maxSide, scaleSide(height, maxSide, width)
	}
	return scaleSide(width, maxSide, height), maxSide
}

func scaleSide(side, numerator, denominator int) int {
	return max(1, int(math.Round(float64(side)*float64(numerator)/float64(denominator))))
}
