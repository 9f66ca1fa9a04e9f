// The vector kernels behind box_simd.h. GCC's auto-vectorisation of the
// portable kernels in scaler.go leaves a 2× box at 720p at about 5 % of a
// frame's decode time and a 3× box at 1080p above 5 %: it cannot see that
// a pair sum is one multiply-add of bytes, and it handles stride-3 loads
// poorly. Written out, both cost a fraction of that.
#include "box_simd.h"

// The scalar tails below handle the columns after the last whole vector,
// with the portable kernels' formulas: round(sum/4) = (sum+2)>>2, and
// round(sum/9) = (2·sum+9)·3641 >> 16 (exact for sum <= 9·255, the
// multiplier the general kernel derives for k = 3).
static inline __attribute__((always_inline)) void aa_tail2(const uint8_t *a, const uint8_t *b, uint8_t *d, int x,
                                                           int dw, const int mode) {
	for (; x < dw; x++) {
		int sum = a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1];
		d[x] = aa_range((sum + 2) >> 2, mode);
	}
}

static inline __attribute__((always_inline)) void aa_tail3(const uint8_t *a, ptrdiff_t ss, uint8_t *d, int x,
                                                           int dw, const int mode) {
	for (; x < dw; x++) {
		int sum = 0;
		for (int r = 0; r < 3; r++)
			for (int i = 0; i < 3; i++)
				sum += a[r * ss + 3 * x + i];
		d[x] = aa_range((int)(((uint32_t)(2 * sum + 9) * 3641) >> 16), mode);
	}
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AA_AVX2 __attribute__((target("avx2")))
#define AA_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi")))

int aa_simd_level(void) {
	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vbmi"))
		return 2;
	return __builtin_cpu_supports("avx2") ? 1 : 0;
}

// aa_range16 is aa_range on sixteen 16-bit lanes; the caller's unsigned
// saturating pack does the clamping.
static inline __attribute__((always_inline)) AA_AVX2 __m256i aa_range16(__m256i v, const int mode) {
	if (mode == 1) {
		__m256i d = _mm256_sub_epi16(v, _mm256_set1_epi16(16));
		__m256i f = _mm256_add_epi16(_mm256_mullo_epi16(d, _mm256_set1_epi16(42)), _mm256_set1_epi16(128));
		return _mm256_add_epi16(d, _mm256_srai_epi16(f, 8));
	}
	if (mode == 2) {
		__m256i d = _mm256_sub_epi16(v, _mm256_set1_epi16(128));
		__m256i f = _mm256_add_epi16(_mm256_mullo_epi16(d, _mm256_set1_epi16(71)), _mm256_set1_epi16(256));
		return _mm256_add_epi16(_mm256_add_epi16(d, _mm256_set1_epi16(128)), _mm256_srai_epi16(f, 9));
	}
	return v;
}

// 2×2, AVX2, 32 outputs per step: a multiply-add of each row's bytes with
// ones gives the pair sums, two rows added give the block sums.
static inline __attribute__((always_inline)) AA_AVX2 void aa_box2_avx2(const uint8_t *src, ptrdiff_t ss,
                                                                       uint8_t *dst, ptrdiff_t ds, int dw,
                                                                       int dh, const int mode) {
	const __m256i ones = _mm256_set1_epi8(1), two = _mm256_set1_epi16(2);
	for (int y = 0; y < dh; y++) {
		const uint8_t *a = src + 2 * y * ss, *b = a + ss;
		uint8_t *d = dst + y * ds;
		int x = 0;
		for (; x + 32 <= dw; x += 32) {
			__m256i s0 = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(a + 2 * x)), ones),
			                              _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(b + 2 * x)), ones));
			__m256i s1 =
			    _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(a + 2 * x + 32)), ones),
			                     _mm256_maddubs_epi16(_mm256_loadu_si256((const __m256i *)(b + 2 * x + 32)), ones));
			s0 = aa_range16(_mm256_srli_epi16(_mm256_add_epi16(s0, two), 2), mode);
			s1 = aa_range16(_mm256_srli_epi16(_mm256_add_epi16(s1, two), 2), mode);
			// packus interleaves the two inputs' 128-bit halves.
			__m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi16(s0, s1), 0xD8);
			_mm256_storeu_si256((__m256i *)(d + x), p);
		}
		aa_tail2(a, b, d, x, dw, mode);
	}
}

// 2×2, AVX-512, 64 outputs per step: the AVX2 kernel twice as wide.
static inline __attribute__((always_inline)) AA_AVX512 void aa_box2_avx512(const uint8_t *src, ptrdiff_t ss,
                                                                           uint8_t *dst, ptrdiff_t ds, int dw,
                                                                           int dh, const int mode) {
	const __m512i ones = _mm512_set1_epi8(1), two = _mm512_set1_epi16(2);
	const __m512i order = _mm512_set_epi64(7, 5, 3, 1, 6, 4, 2, 0);
	for (int y = 0; y < dh; y++) {
		const uint8_t *a = src + 2 * y * ss, *b = a + ss;
		uint8_t *d = dst + y * ds;
		int x = 0;
		for (; x + 64 <= dw; x += 64) {
			__m512i s0 = _mm512_add_epi16(_mm512_maddubs_epi16(_mm512_loadu_si512(a + 2 * x), ones),
			                              _mm512_maddubs_epi16(_mm512_loadu_si512(b + 2 * x), ones));
			__m512i s1 = _mm512_add_epi16(_mm512_maddubs_epi16(_mm512_loadu_si512(a + 2 * x + 64), ones),
			                              _mm512_maddubs_epi16(_mm512_loadu_si512(b + 2 * x + 64), ones));
			s0 = _mm512_srli_epi16(_mm512_add_epi16(s0, two), 2);
			s1 = _mm512_srli_epi16(_mm512_add_epi16(s1, two), 2);
			if (mode != 0) {
				// The range formula on each 256-bit half.
				s0 = _mm512_inserti64x4(_mm512_castsi256_si512(aa_range16(_mm512_castsi512_si256(s0), mode)),
				                        aa_range16(_mm512_extracti64x4_epi64(s0, 1), mode), 1);
				s1 = _mm512_inserti64x4(_mm512_castsi256_si512(aa_range16(_mm512_castsi512_si256(s1), mode)),
				                        aa_range16(_mm512_extracti64x4_epi64(s1, 1), mode), 1);
			}
			__m512i p = _mm512_permutexvar_epi64(order, _mm512_packus_epi16(s0, s1));
			_mm512_storeu_si512(d + x, p);
		}
		aa_tail2(a, b, d, x, dw, mode);
	}
}

// 3×3, AVX-512 VBMI, 16 outputs per step. Per source row, one byte
// permutation of 48 bytes lays the first two pixels of each triple out as
// pairs in the low half and the third, paired with a zero, in the high
// half; a multiply-add with ones then gives both as 16-bit lanes, and the
// two halves of the three rows' sums added are the block sums.
static inline __attribute__((always_inline)) AA_AVX512 void aa_box3_avx512(const uint8_t *src, ptrdiff_t ss,
                                                                           uint8_t *dst, ptrdiff_t ds, int dw,
                                                                           int dh, const int mode) {
	uint8_t ix[64];
	for (int i = 0; i < 32; i++) {
		ix[i] = (uint8_t)(3 * (i / 2) + (i & 1));
		ix[32 + i] = (uint8_t)(3 * (i / 2) + 2);
	}
	const __m512i idx = _mm512_loadu_si512(ix), ones = _mm512_set1_epi8(1);
	const __mmask64 keep = 0x55555555FFFFFFFFull; // zero the high half's odd bytes
	const __mmask64 load = 0x0000FFFFFFFFFFFFull; // 48 bytes: never past the row
	const __m256i nine = _mm256_set1_epi16(9), m = _mm256_set1_epi16(3641);
	for (int y = 0; y < dh; y++) {
		const uint8_t *a = src + 3 * y * ss;
		uint8_t *d = dst + y * ds;
		int x = 0;
		for (; x + 16 <= dw; x += 16) {
			__m512i t = _mm512_setzero_si512();
			for (int r = 0; r < 3; r++) {
				__m512i row = _mm512_maskz_loadu_epi8(load, a + r * ss + 3 * x);
				t = _mm512_add_epi16(t, _mm512_maddubs_epi16(_mm512_maskz_permutexvar_epi8(keep, idx, row), ones));
			}
			__m256i s = _mm256_add_epi16(_mm512_castsi512_si256(t), _mm512_extracti64x4_epi64(t, 1));
			__m256i v = _mm256_mulhi_epu16(_mm256_add_epi16(_mm256_slli_epi16(s, 1), nine), m);
			v = aa_range16(v, mode);
			__m256i p = _mm256_permute4x64_epi64(_mm256_packus_epi16(v, v), 0x08);
			_mm_storeu_si128((__m128i *)(d + x), _mm256_castsi256_si128(p));
		}
		aa_tail3(a, ss, d, x, dw, mode);
	}
}

// One function per kernel and mode, so that the mode is a constant in the
// loops.
#define AA_VARIANTS(NAME, ATTR)                                                                                 \
	ATTR static void NAME##_m0(const uint8_t *s, ptrdiff_t ss, uint8_t *d, ptrdiff_t ds, int dw, int dh) { \
		NAME(s, ss, d, ds, dw, dh, 0);                                                                      \
	}                                                                                                       \
	ATTR static void NAME##_m1(const uint8_t *s, ptrdiff_t ss, uint8_t *d, ptrdiff_t ds, int dw, int dh) { \
		NAME(s, ss, d, ds, dw, dh, 1);                                                                      \
	}                                                                                                       \
	ATTR static void NAME##_m2(const uint8_t *s, ptrdiff_t ss, uint8_t *d, ptrdiff_t ds, int dw, int dh) { \
		NAME(s, ss, d, ds, dw, dh, 2);                                                                      \
	}                                                                                                       \
	static void NAME##_mode(const uint8_t *s, ptrdiff_t ss, uint8_t *d, ptrdiff_t ds, int dw, int dh,     \
	                        int mode) {                                                                     \
		switch (mode) {                                                                                     \
		case 1: NAME##_m1(s, ss, d, ds, dw, dh); break;                                                     \
		case 2: NAME##_m2(s, ss, d, ds, dw, dh); break;                                                     \
		default: NAME##_m0(s, ss, d, ds, dw, dh);                                                           \
		}                                                                                                   \
	}
AA_VARIANTS(aa_box2_avx2, AA_AVX2)
AA_VARIANTS(aa_box2_avx512, AA_AVX512)
AA_VARIANTS(aa_box3_avx512, AA_AVX512)

int aa_box2_simd(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int dw, int dh, int mode, int level) {
	if (level >= 2) {
		aa_box2_avx512_mode(src, ss, dst, ds, dw, dh, mode);
		return 1;
	}
	if (level == 1) {
		aa_box2_avx2_mode(src, ss, dst, ds, dw, dh, mode);
		return 1;
	}
	return 0;
}

int aa_box3_simd(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int dw, int dh, int mode, int level) {
	if (level >= 2) {
		aa_box3_avx512_mode(src, ss, dst, ds, dw, dh, mode);
		return 1;
	}
	return 0;
}

#else

int aa_simd_level(void) { return 0; }

int aa_box2_simd(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int dw, int dh, int mode, int level) {
	return 0;
}

int aa_box3_simd(const uint8_t *src, ptrdiff_t ss, uint8_t *dst, ptrdiff_t ds, int dw, int dh, int mode, int level) {
	return 0;
}

#endif
