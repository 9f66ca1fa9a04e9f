// Hand-vectorised k×k box kernels (box_simd.c) for the two common camera
// cases, 720p and 1080p to 640×360, and the range mapping they share with
// the portable kernels in scaler.go.
#ifndef AA_BOX_SIMD_H
#define AA_BOX_SIMD_H

#include <stddef.h>
#include <stdint.h>

// Limited ("TV") to full ("JPEG") range: luma (y-16)*255/219 as
// d + d*42/256, chroma (c-128)*255/224 + 128 as 128 + d + d*71/512,
// rounded and clamped (within one step of the exact values). Every
// intermediate fits 16 bits, so the same formula runs in 16-bit vector
// lanes.
//
// aa_range maps one value from limited to full range: luma (mode 1) or
// chroma (mode 2); mode 0 keeps it.
static inline __attribute__((always_inline)) uint8_t aa_range(int v, const int mode) {
	short r;
	if (mode == 1) {
		short d = (short)v - 16;
		r = d + (short)((d * 42 + 128) >> 8);
	} else if (mode == 2) {
		short d = (short)v - 128;
		r = 128 + d + (short)((d * 71 + 256) >> 9);
	} else {
		return (uint8_t)v;
	}
	return r < 0 ? 0 : r > 255 ? 255 : r;
}

// aa_simd_level is the widest kernel set this CPU runs: 2 AVX-512 (F, BW,
// VL and VBMI: Ice Lake, Zen 4 and later), 1 AVX2, 0 none.
int aa_simd_level(void);

// aa_box2_simd and aa_box3_simd average 2×2 and 3×3 blocks of an 8-bit
// plane into dst (dw×dh) and map the result's range (mode as aa_range)
// with kernels of at most the given level. They return 1 when they did,
// and 0 when no kernel of that level exists (the caller then uses the
// portable kernels). Results are byte for byte the portable kernels'
// (TestBoxKernelsAgree).
int aa_box2_simd(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int dw, int dh, int mode, int level);
int aa_box3_simd(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int dw, int dh, int mode, int level);

#endif
