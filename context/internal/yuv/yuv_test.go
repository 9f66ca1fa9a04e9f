package yuv_test

import (
	"image"
	"strings"
	"testing"

	"github.com/anyanomaly/anyanomaly/context/internal/yuv"
)

func TestCheck(t *testing.T) {
	ok := image.NewYCbCr(image.Rect(0, 0, 7, 5), image.YCbCrSubsampleRatio420)
	sub := image.NewYCbCr(image.Rect(0, 0, 20, 20), image.YCbCrSubsampleRatio420).SubImage(image.Rect(3, 5, 18, 20)).(*image.YCbCr)
	mod := func(f func(c *image.YCbCr)) *image.YCbCr {
		c := *ok
		f(&c)
		return &c
	}
	for _, tc := range []struct {
		name string
		img  *image.YCbCr
		want string // "" for valid
	}{
		{"odd size", ok, ""},
		{"odd sub-image", sub, ""},
		{"nil", nil, "is nil"},
		{"empty", image.NewYCbCr(image.Rect(3, 3, 3, 9), image.YCbCrSubsampleRatio420), "is empty"},
		{"4:2:2", image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio422), "subsampling"},
		{"negative origin", image.NewYCbCr(image.Rect(0, -1, 4, 4), image.YCbCrSubsampleRatio420), "negative origin"},
		{"Y one byte short", mod(func(c *image.YCbCr) { c.Y = c.Y[:len(c.Y)-1] }), "Y plane"},
		{"Y stride", mod(func(c *image.YCbCr) { c.YStride = 6 }), "Y plane"},
		{"Cb one byte short", mod(func(c *image.YCbCr) { c.Cb = c.Cb[:len(c.Cb)-1] }), "Cb/Cr"},
		{"Cr missing", mod(func(c *image.YCbCr) { c.Cr = nil }), "Cb/Cr"},
		{"C stride", mod(func(c *image.YCbCr) { c.CStride = 3 }), "Cb/Cr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := yuv.Check(tc.img)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one about %q", err, tc.want)
			}
		})
	}
}
