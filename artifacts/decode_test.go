package artifacts

import (
	"image"
	"image/color"
	"testing"
)

func TestDecodedBytes(t *testing.T) {
	tests := []struct {
		name     string
		cfg      image.Config
		tooLarge bool
	}{
		{"16-bit 6300x6300", image.Config{ColorModel: color.NRGBA64Model, Width: 6300, Height: 6300}, true},
		{"8-bit 4000x4000", image.Config{ColorModel: color.NRGBAModel, Width: 4000, Height: 4000}, false},
		{"8-bit 4097x4097", image.Config{ColorModel: color.RGBAModel, Width: 4097, Height: 4097}, true},
		{"16-bit 2000x2000", image.Config{ColorModel: color.RGBA64Model, Width: 2000, Height: 2000}, false},
	}
	for _, tt := range tests {
		if got := decodedBytes(tt.cfg) > maxDecodeBytes; got != tt.tooLarge {
			t.Errorf("decodedBytes(%s) = %d, over the limit = %v, want %v", tt.name, decodedBytes(tt.cfg), got, tt.tooLarge)
		}
	}
}
