package decode

import (
	"fmt"
	"image"
	"testing"
)

// BenchmarkScale scales one decoded 1080p and one 720p picture to 640×360
// again and again (the picture stays in cache, unlike in the pipeline), by
// the integer box path (with the best vector kernels this CPU runs, with
// the AVX2 ones, and with the portable ones only) and by swscale's area
// filter.
func BenchmarkScale(b *testing.B) {
	for _, size := range []string{"1920x1080", "1280x720"} {
		f := firstFrame(b, size, "yuv420p")
		for _, path := range []string{"box", "box-avx2", "box-portable", "swscale"} {
			b.Run(size+"/"+path, func(b *testing.B) {
				s := NewScaler(640)
				defer s.Close()
				img := NewImage(OutputSize(f.Width(), f.Height(), 640))
				alloc := func(int, int) *image.YCbCr { return img }
				p := &Picture{frame: f}
				if _, err := s.Scale(p, alloc); err != nil {
					b.Fatal(err)
				}
				switch {
				case path == "swscale":
					s.box = 0
				case s.box == 0:
					b.Fatal("no box path for this size")
				case path == "box-avx2" && simdLevel < 1:
					b.Skip("this CPU has no AVX2")
				case path == "box-avx2" || path == "box-portable":
					old := simdLevel
					simdLevel = map[string]int{"box-avx2": 1, "box-portable": 0}[path]
					defer func() { simdLevel = old }()
				}
				b.ResetTimer()
				for range b.N {
					if _, err := s.Scale(p, alloc); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkBoxKernelBand runs the box kernels the way band scaling does:
// on one band of 16 output rows (640 wide, luma range mapping) whose
// source is in cache, for 2× (720p) and 3× (1080p), at every vector level
// this CPU runs (0: the portable kernels the scaler picks; 3× has no AVX2
// kernel, so its level 1 is the portable one too). The full-picture
// benchmark above reads 3 MB per 1080p picture, and there the memory, not
// the kernel, sets the pace.
func BenchmarkBoxKernelBand(b *testing.B) {
	const dw, dh = 640, 16
	for _, k := range []int{2, 3} {
		ss := dw * k
		src := make([]byte, ss*dh*k)
		for i := range src {
			src[i] = byte(i * 7)
		}
		dst := make([]byte, dw*dh)
		for level := 0; level <= simdLevel; level++ {
			b.Run(fmt.Sprintf("%dx/level%d", k, level), func(b *testing.B) {
				var pb planeBoxer
				for range b.N {
					pb.run(src, ss, dst, dw, dw, dh, k, 1, level, directBox2)
				}
			})
		}
	}
}
