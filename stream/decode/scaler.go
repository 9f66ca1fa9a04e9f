package decode

/*
#cgo pkg-config: libswscale libavutil
#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/imgutils.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#include "bands.h"
#include "box_simd.h"

// aa_sws_new makes a one-pass area scaler from the source to YUV 4:2:0 in
// the source's own range. The range is an option set before
// initialisation: set afterwards, it is ignored when source and
// destination sizes and formats match, because swscale then picks a plain
// copy.
static struct SwsContext *aa_sws_new(int sw, int sh, int sf, int dw, int dh, int src_full) {
	struct SwsContext *c = sws_alloc_context();
	if (!c)
		return NULL;
	if (av_opt_set_int(c, "srcw", sw, 0) < 0 || av_opt_set_int(c, "srch", sh, 0) < 0 ||
	    av_opt_set_int(c, "src_format", sf, 0) < 0 || av_opt_set_int(c, "dstw", dw, 0) < 0 ||
	    av_opt_set_int(c, "dsth", dh, 0) < 0 || av_opt_set_int(c, "dst_format", AV_PIX_FMT_YUV420P, 0) < 0 ||
	    av_opt_set_int(c, "sws_flags", SWS_AREA, 0) < 0 || av_opt_set_int(c, "src_range", src_full, 0) < 0 ||
	    av_opt_set_int(c, "dst_range", src_full, 0) < 0 || sws_init_context(c, NULL, NULL) < 0) {
		sws_freeContext(c);
		return NULL;
	}
	return c;
}

// AA_KERNEL marks the portable pixel loops: compiled with full
// optimisation and, on x86-64, once for AVX2 and once for the baseline;
// the loader picks one for the CPU. (box_simd.c has faster kernels for
// the common ratios where the CPU has the instructions.)
#if defined(__x86_64__)
#define AA_KERNEL __attribute__((optimize("O3"), target_clones("avx2", "default"))) static void
#else
#define AA_KERNEL __attribute__((optimize("O3"))) static void
#endif

// The range expansion (aa_range) is in box_simd.h, shared with the vector
// kernels.

AA_KERNEL aa_expand_luma(uint8_t *p, int stride, int w, int h) {
	for (int r = 0; r < h; r++, p += stride)
		for (int i = 0; i < w; i++)
			p[i] = aa_range(p[i], 1);
}

AA_KERNEL aa_expand_chroma(uint8_t *p, int stride, int w, int h) {
	for (int r = 0; r < h; r++, p += stride)
		for (int i = 0; i < w; i++)
			p[i] = aa_range(p[i], 2);
}

// aa_expand_yuv expands a w×h 4:2:0 picture from limited to full range.
static void aa_expand_yuv(uint8_t *y, uint8_t *cb, uint8_t *cr, int y_stride, int c_stride, int w, int h) {
	aa_expand_luma(y, y_stride, w, h);
	aa_expand_chroma(cb, c_stride, (w + 1) / 2, (h + 1) / 2);
	aa_expand_chroma(cr, c_stride, (w + 1) / 2, (h + 1) / 2);
}

// aa_scale_yuv scales src with swscale into stage, a padded picture of its
// own (aa_stage_new), copies the rows into the three planes of a Go
// image.YCbCr (memory that C does not keep) and, for a limited-range
// source, expands the result to full range (JFIF, the meaning Go gives
// image.YCbCr), all in one cgo call. swscale's output loops store whole
// vectors and may run past the width of a row (a 1-pixel-wide output
// gets 16 bytes a row): FFmpeg's own pictures have room for that, a Go
// image's exact rows and the end of its allocation do not. Expanding the
// 640x360 output here costs a few hundredths of a millisecond; asking
// swscale for the range conversion costs about half a millisecond more
// per 720p frame.
static int aa_scale_yuv(struct SwsContext *c, uint8_t *const stage[4], const int stage_ls[4], const AVFrame *src,
                        uint8_t *y, uint8_t *cb, uint8_t *cr, int y_stride, int c_stride, int w, int h, int expand) {
	int ret = sws_scale(c, (const uint8_t *const *)src->data, src->linesize, 0, src->height, stage, stage_ls);
	if (ret < 0)
		return ret;
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	for (int r = 0; r < h; r++)
		memcpy(y + (size_t)r * y_stride, stage[0] + (size_t)r * stage_ls[0], w);
	for (int r = 0; r < ch; r++) {
		memcpy(cb + (size_t)r * c_stride, stage[1] + (size_t)r * stage_ls[1], cw);
		memcpy(cr + (size_t)r * c_stride, stage[2] + (size_t)r * stage_ls[2], cw);
	}
	if (expand)
		aa_expand_yuv(y, cb, cr, y_stride, c_stride, w, h);
	return ret;
}

// aa_stage_new allocates aa_scale_yuv's w×h 4:2:0 staging picture the way
// FFmpeg pads its own (rows aligned to 64 bytes, and room after the last).
static int aa_stage_new(uint8_t *data[4], int ls[4], int w, int h) {
	return av_image_alloc(data, ls, w, h, AV_PIX_FMT_YUV420P, 64);
}

// aa_box_plane averages k×k blocks of an 8-bit plane: what an area filter
// computes when the ratio is exactly the integer k (each output pixel
// covers k×k whole source pixels with equal weights), done directly. Per
// output row it sums k source rows into acc (k*255 fits 16 bits for
// k <= 8), then sums and rounds every run of k neighbours into q, and
// keeps every k-th: computing k times too many sums is cheaper than a
// strided loop, because contiguous loops vectorise. Inlined with a
// constant k into AA_KERNEL functions (AVX2 halves the time at 1080p).
static inline __attribute__((always_inline)) void aa_box_plane(const uint8_t *src, int ss, uint8_t *dst, int ds,
                                                               int dw, int dh, const int k, uint16_t *acc,
                                                               uint8_t *q) {
	const int sw = dw * k;
	const uint32_t mul = (65536 + k * k / 2) / (k * k);
	for (int y = 0; y < dh; y++) {
		const uint8_t *s = src + (size_t)y * k * ss;
		for (int i = 0; i < sw; i++)
			acc[i] = s[i];
		for (int r = 1; r < k; r++) {
			s += ss;
			for (int i = 0; i < sw; i++)
				acc[i] += s[i];
		}
		if (k <= 4) {
			// Sixteen-bit arithmetic throughout (SSE2's pmulhuw):
			// round(sum/k²) = floor((2·sum + k²) · m / 65536) with
			// m = ceil(65536 / 2k²), exact for sum <= 255·k².
			const uint16_t m = (uint16_t)((65536 + 2 * k * k - 1) / (2 * k * k));
			for (int i = 0; i <= sw - k; i++) {
				uint16_t sum = acc[i];
				for (int j = 1; j < k; j++)
					sum += acc[i + j];
				uint16_t t = (uint16_t)(2 * sum + k * k);
				q[i] = (uint8_t)(((uint32_t)t * m) >> 16);
			}
		} else {
			for (int i = 0; i <= sw - k; i++) {
				uint32_t sum = acc[i];
				for (int j = 1; j < k; j++)
					sum += acc[i + j];
				q[i] = (uint8_t)((sum * mul + 32768) >> 16);
			}
		}
		uint8_t *d = dst + (size_t)y * ds;
		for (int x = 0; x < dw; x++)
			d[x] = q[x * k];
	}
}

#define AA_BOX_K(K)                                                                                             \
	AA_KERNEL aa_box_##K(const uint8_t *src, int ss, uint8_t *dst, int ds, int dw, int dh, uint16_t *acc, uint8_t *q) { \
		aa_box_plane(src, ss, dst, ds, dw, dh, K, acc, q);                                                      \
	}
AA_BOX_K(3)
AA_BOX_K(4)

AA_KERNEL aa_box_any(const uint8_t *src, int ss, uint8_t *dst, int ds, int dw, int dh, int k, uint16_t *acc, uint8_t *q) {
	aa_box_plane(src, ss, dst, ds, dw, dh, k, acc, q);
}

static void aa_box(const uint8_t *src, int ss, uint8_t *dst, int ds, int dw, int dh, int k, uint16_t *acc, uint8_t *q) {
	switch (k) {
	case 3: aa_box_3(src, ss, dst, ds, dw, dh, acc, q); break;
	case 4: aa_box_4(src, ss, dst, ds, dw, dh, acc, q); break;
	default: aa_box_any(src, ss, dst, ds, dw, dh, k, acc, q);
	}
}

// aa_box2_plane is aa_box_plane for k = 2 (720p to 640x360) in one pass:
// each output pixel straight from its 2×2 source block, rounded by the
// same formula, and the range expansion applied before the store instead
// of in a second pass over the output. GCC vectorises the stride-2 loads
// well (a quarter less time than aa_box_2 plus aa_expand_yuv at 720p); it
// does not do as well with stride 3, so k = 3 keeps the general path,
// which was faster there.
static inline __attribute__((always_inline)) void aa_box2_plane(const uint8_t *src, int ss, uint8_t *dst, int ds,
                                                                int dw, int dh, const int mode) {
	for (int y = 0; y < dh; y++) {
		const uint8_t *a = src + (size_t)y * 2 * ss, *b = a + ss;
		uint8_t *d = dst + (size_t)y * ds;
		for (int x = 0; x < dw; x++) {
			uint16_t sum = (uint16_t)a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1];
			d[x] = aa_range((sum + 2) >> 2, mode);
		}
	}
}

#define AA_BOX2(MODE)                                                                                   \
	AA_KERNEL aa_box2_m##MODE(const uint8_t *src, int ss, uint8_t *dst, int ds, int dw, int dh) { \
		aa_box2_plane(src, ss, dst, ds, dw, dh, MODE);                                           \
	}
AA_BOX2(0)
AA_BOX2(1)
AA_BOX2(2)

// aa_box_one averages k×k blocks of one plane and maps the range (mode as
// aa_range): with the vector kernels up to level where they exist, else
// with the one-pass 2× kernel when direct, else with the general kernel
// and a separate range pass. Levels and direct below the best are only for
// the tests that hold every path to the general one.
void aa_box_one(const uint8_t *src, int ss, uint8_t *dst, int ds, int dw, int dh, int k, int mode, int level,
                int direct, uint16_t *acc, uint8_t *q) {
	if (k == 2 && aa_box2_simd(src, ss, dst, ds, dw, dh, mode, level))
		return;
	if (k == 3 && aa_box3_simd(src, ss, dst, ds, dw, dh, mode, level))
		return;
	if (k == 2 && direct) {
		switch (mode) {
		case 1: aa_box2_m1(src, ss, dst, ds, dw, dh); break;
		case 2: aa_box2_m2(src, ss, dst, ds, dw, dh); break;
		default: aa_box2_m0(src, ss, dst, ds, dw, dh);
		}
		return;
	}
	aa_box(src, ss, dst, ds, dw, dh, k, acc, q);
	if (mode == 1)
		aa_expand_luma(dst, ds, dw, dh);
	else if (mode == 2)
		aa_expand_chroma(dst, ds, dw, dh);
}

// aa_box_yuv is aa_scale_yuv for 8-bit 4:2:0 sources k times the output
// size in both directions (1280x720 and 1920x1080 to 640x360, the common
// camera cases): the same area result, several times as fast as swscale's
// general filter.
static void aa_box_yuv(const AVFrame *src, uint8_t *y, uint8_t *cb, uint8_t *cr, int y_stride, int c_stride,
                       int w, int h, int k, int expand, int level, int direct, uint16_t *acc, uint8_t *q) {
	int cw = (w + 1) / 2, ch = (h + 1) / 2;
	const uint8_t *const *p = (const uint8_t *const *)src->data;
	const int *ls = src->linesize;
	aa_box_one(p[0], ls[0], y, y_stride, w, h, k, expand ? 1 : 0, level, direct, acc, q);
	aa_box_one(p[1], ls[1], cb, c_stride, cw, ch, k, expand ? 2 : 0, level, direct, acc, q);
	aa_box_one(p[2], ls[2], cr, c_stride, cw, ch, k, expand ? 2 : 0, level, direct, acc, q);
}
*/
import "C"

import (
	"fmt"
	"image"
	"unsafe"

	"github.com/asticode/go-astiav"
)

// DefaultLongSide is the analysis size's long side when none is configured.
const DefaultLongSide = 640

// simdLevel is the widest set of vector box kernels this CPU runs
// (box_simd.h); directBox2 selects the portable one-pass kernel for 2×
// sources. Only the tests that hold every kernel to the general one byte
// for byte lower them.
var (
	simdLevel  = int(C.aa_simd_level())
	directBox2 = 1
)

// Scaler converts decoded pictures to full-range YCbCr 4:2:0 images
// (image.YCbCr, JFIF semantics) at analysis size with an area filter, in
// one pass: swscale's SWS_AREA in general, and for 8-bit 4:2:0 sources
// exactly 2 to 8 times the output size (720p, 1080p, 1440p, 2160p to
// 640×360) the same k×k box average computed directly: with box_simd.c's
// kernels, where the CPU has them, five (1080p) to eleven (720p) times
// faster than swscale (TestScalerMatchesReference holds both to swscale's
// output). A picture its decoder already scaled band by band
// (Config.BandLongSide, bands.c) is only copied out. It keeps its state
// between calls and rebuilds it only when the source size, format or
// range changes. Not safe for concurrent use.
//
// The analysis frames stay in 4:2:0 rather than RGB: a camera holds a whole
// segment of them (24 by default), and at 1.5 bytes per pixel instead of 4
// that is 8 MiB instead of 21 MiB at 640×360; it also skips a colour
// conversion of every frame, while the context builders convert only the
// few pixels they output.
type Scaler struct {
	longSide int
	ctx      *C.struct_SwsContext
	srcW     int
	srcH     int
	srcFmt   astiav.PixelFormat
	srcFull  bool
	dstW     int
	dstH     int
	// box is the integer ratio k when the source is 8-bit 4:2:0 and
	// exactly k times the output size (0 otherwise: swscale); acc is its
	// row of column sums and q its rounded runs of k.
	box int
	acc []uint16
	q   []uint8
	// stage is swscale's padded output picture (C memory), copied into
	// the Go image: see aa_scale_yuv.
	stage   [4]*C.uint8_t
	stageLs [4]C.int
}

// NewScaler returns a Scaler whose output has longSide pixels on its long
// side (0 = DefaultLongSide), aspect ratio kept.
func NewScaler(longSide int) *Scaler {
	if longSide <= 0 {
		longSide = DefaultLongSide
	}
	return &Scaler{longSide: longSide}
}

// OutputSize returns the analysis size for a w×h source.
func OutputSize(w, h, longSide int) (int, int) {
	if longSide <= 0 {
		longSide = DefaultLongSide
	}
	if w <= 0 || h <= 0 {
		return 0, 0
	}
	if w >= h {
		return longSide, max(1, (h*longSide+w/2)/w)
	}
	return max(1, (w*longSide+h/2)/h), longSide
}

// NewImage returns a w×h full-range 4:2:0 image, the layout Scale writes.
func NewImage(w, h int) *image.YCbCr {
	return image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
}

// Scale converts p into a YCbCr 4:2:0 image. alloc, when non-nil, supplies
// the destination (e.g. from a pool); it must return a 4:2:0 image of
// exactly the requested size.
func (s *Scaler) Scale(p *Picture, alloc func(w, h int) *image.YCbCr) (*image.YCbCr, error) {
	f := p.frame
	w, h, pf := f.Width(), f.Height(), f.PixelFormat()
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("scale: picture has no size (%dx%d)", w, h)
	}
	full := fullRange(f.ColorRange(), pf)
	if s.ctx == nil || w != s.srcW || h != s.srcH || pf != s.srcFmt || full != s.srcFull {
		if err := s.setup(w, h, pf, full); err != nil {
			return nil, err
		}
	}
	var img *image.YCbCr
	if alloc != nil {
		img = alloc(s.dstW, s.dstH)
	} else {
		img = NewImage(s.dstW, s.dstH)
	}
	if err := checkImage(img, s.dstW, s.dstH); err != nil {
		return nil, fmt.Errorf("scale: %w", err)
	}
	expand := C.int(1)
	if s.srcFull {
		expand = 0
	}
	if s.box > 0 && p.bands != nil && p.bands.matches(s.box, s.dstW, s.dstH, !s.srcFull) {
		p.bands.copyTo(&img.Y[0], &img.Cb[0], &img.Cr[0], img.YStride, img.CStride)
		return img, nil
	}
	if s.box > 0 {
		C.aa_box_yuv((*C.AVFrame)(f.UnsafePointer()),
			(*C.uint8_t)(unsafe.Pointer(&img.Y[0])), (*C.uint8_t)(unsafe.Pointer(&img.Cb[0])), (*C.uint8_t)(unsafe.Pointer(&img.Cr[0])),
			C.int(img.YStride), C.int(img.CStride), C.int(s.dstW), C.int(s.dstH), C.int(s.box), expand, C.int(simdLevel), C.int(directBox2),
			(*C.uint16_t)(unsafe.Pointer(&s.acc[0])), (*C.uint8_t)(unsafe.Pointer(&s.q[0])))
		return img, nil
	}
	if s.stage[0] == nil {
		// Only the swscale path needs it, allocated on first use.
		if ret := C.aa_stage_new(&s.stage[0], &s.stageLs[0], C.int(s.dstW), C.int(s.dstH)); ret < 0 {
			return nil, fmt.Errorf("scale %dx%d -> %dx%d: staging picture: %w", w, h, s.dstW, s.dstH, astiav.Error(ret))
		}
	}
	ret := C.aa_scale_yuv(s.ctx, &s.stage[0], &s.stageLs[0], (*C.AVFrame)(f.UnsafePointer()),
		(*C.uint8_t)(unsafe.Pointer(&img.Y[0])), (*C.uint8_t)(unsafe.Pointer(&img.Cb[0])), (*C.uint8_t)(unsafe.Pointer(&img.Cr[0])),
		C.int(img.YStride), C.int(img.CStride), C.int(s.dstW), C.int(s.dstH), expand)
	if ret < 0 {
		return nil, fmt.Errorf("scale %dx%d %s -> %dx%d yuv420p: %w", w, h, pf, s.dstW, s.dstH, astiav.Error(ret))
	}
	return img, nil
}

// checkImage verifies that img can take a w×h 4:2:0 picture written from
// its planes' first bytes: swscale writes whole rows at the strides given.
func checkImage(img *image.YCbCr, w, h int) error {
	b := img.Bounds()
	cw, ch := (w+1)/2, (h+1)/2
	switch {
	case img.SubsampleRatio != image.YCbCrSubsampleRatio420:
		return fmt.Errorf("destination image is %v, want 4:2:0", img.SubsampleRatio)
	case b != image.Rect(0, 0, w, h):
		return fmt.Errorf("destination image is %v, want %dx%d at the origin", b, w, h)
	case img.YStride < w || len(img.Y) < img.YStride*(h-1)+w:
		return fmt.Errorf("destination luma plane too small (stride %d, %d bytes) for %dx%d", img.YStride, len(img.Y), w, h)
	case img.CStride < cw || len(img.Cb) < img.CStride*(ch-1)+cw || len(img.Cr) < img.CStride*(ch-1)+cw:
		return fmt.Errorf("destination chroma planes too small (stride %d) for %dx%d", img.CStride, w, h)
	}
	return nil
}

// fullRange reports whether pictures of range r in format pf are full
// range.
func fullRange(r astiav.ColorRange, pf astiav.PixelFormat) bool {
	return r == astiav.ColorRangeJpeg || fullRangeFormat(pf)
}

// fullRangeFormat reports FFmpeg's deprecated "J" formats, full range by
// definition whatever the frame's colour range says.
func fullRangeFormat(pf astiav.PixelFormat) bool {
	switch pf {
	case astiav.PixelFormatYuvj420P, astiav.PixelFormatYuvj422P, astiav.PixelFormatYuvj444P, astiav.PixelFormatYuvj440P, astiav.PixelFormatYuvj411P:
		return true
	}
	return false
}

// setup (re)builds the swscale state for a w×h source in format pf.
func (s *Scaler) setup(w, h int, pf astiav.PixelFormat, full bool) error {
	s.free()
	s.dstW, s.dstH = OutputSize(w, h, s.longSide)
	srcFull := C.int(0)
	if full {
		srcFull = 1
	}
	s.ctx = C.aa_sws_new(C.int(w), C.int(h), C.int(pf), C.int(s.dstW), C.int(s.dstH), srcFull)
	if s.ctx == nil {
		return fmt.Errorf("scale %dx%d %s -> %dx%d yuv420p: swscale cannot convert this", w, h, pf, s.dstW, s.dstH)
	}
	s.srcW, s.srcH, s.srcFmt, s.srcFull = w, h, pf, full
	s.box, s.acc, s.q = 0, nil, nil
	if k := boxKernelRatio(w, h, pf, s.dstW, s.dstH); k > 0 {
		s.box, s.acc, s.q = k, make([]uint16, w), make([]uint8, w)
	}
	return nil
}

// boxKernelRatio is boxRatio for a source in format pf: 0 unless it is
// 8-bit 4:2:0, the only layout the box kernels take.
func boxKernelRatio(w, h int, pf astiav.PixelFormat, dw, dh int) int {
	if pf != astiav.PixelFormatYuv420P && pf != astiav.PixelFormatYuvj420P {
		return 0
	}
	return boxRatio(w, h, dw, dh)
}

// boxRatio returns k when a w×h 4:2:0 picture is exactly k (2..8) times
// dw×dh in both directions, chroma planes included, and 0 otherwise.
func boxRatio(w, h, dw, dh int) int {
	if dw <= 0 || dh <= 0 || w%dw != 0 {
		return 0
	}
	k := w / dw
	if k < 2 || k > 8 || h != k*dh || (w+1)/2 != k*((dw+1)/2) || (h+1)/2 != k*((dh+1)/2) {
		return 0
	}
	return k
}

func (s *Scaler) free() {
	if s.ctx != nil {
		C.sws_freeContext(s.ctx)
		s.ctx = nil
	}
	if s.stage[0] != nil {
		C.av_freep(unsafe.Pointer(&s.stage[0]))
		s.stage = [4]*C.uint8_t{}
	}
}

// Close frees the swscale state.
func (s *Scaler) Close() { s.free() }

// planeBoxer runs one plane through aa_box_one: the hook by which
// TestBoxKernelsAgree reaches every kernel with sizes no camera sends
// (cgo cannot be used from _test.go files), and BenchmarkBoxKernelBand
// times one band. It keeps the general kernel's scratch rows between calls,
// as the Scaler does, so the benchmark times the kernels and not an
// allocation per band.
type planeBoxer struct {
	acc []uint16
	q   []uint8
}

func (b *planeBoxer) run(src []byte, ss int, dst []byte, ds, dw, dh, k, mode, level, direct int) {
	if len(b.acc) < dw*k {
		b.acc, b.q = make([]uint16, dw*k), make([]uint8, dw*k)
	}
	C.aa_box_one((*C.uint8_t)(unsafe.Pointer(&src[0])), C.int(ss), (*C.uint8_t)(unsafe.Pointer(&dst[0])), C.int(ds),
		C.int(dw), C.int(dh), C.int(k), C.int(mode), C.int(level), C.int(direct),
		(*C.uint16_t)(unsafe.Pointer(&b.acc[0])), (*C.uint8_t)(unsafe.Pointer(&b.q[0])))
}
