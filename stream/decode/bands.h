// Scaling H.264 pictures band by band while they decode (bands.c).
#ifndef AA_BANDS_H
#define AA_BANDS_H

#include <libavcodec/avcodec.h>
#include <stddef.h>
#include <stdint.h>

// aa_bands is one decoder's band state: the geometry of the picture the
// next packet decodes, how much of it is final and scaled, and the
// scaled result.
typedef struct aa_bands {
	int level, direct;           // kernel choice, as aa_box_one
	int w, h, k, dw, dh, expand; // this packet's geometry; k = 0: none
	const uint8_t *key;          // the picture's luma plane, set by its first band
	int covered;                 // luma rows [0, covered) are final
	int ydone, cdone;            // output rows written, luma and chroma
	int broken;                  // a band this state cannot follow arrived
	uint8_t *planes[3];          // the scaled picture: dw×dh, then two (dw+1)/2×(dh+1)/2
	size_t cap;                  // bytes allocated at planes[0]
	uint16_t *acc;               // the general kernel's scratch rows,
	uint8_t *q;                  // acc_w entries each
	int acc_w;
} aa_bands;

// aa_box_one is scaler.go's one-plane box kernel dispatcher.
void aa_box_one(const uint8_t *src, int ss, uint8_t *dst, int ds, int dw, int dh, int k, int mode, int level,
                int direct, uint16_t *acc, uint8_t *q);

aa_bands *aa_bands_new(int level, int direct);
void aa_bands_free(aa_bands *b);
void aa_bands_install(AVCodecContext *c, aa_bands *b);
int aa_bands_begin(aa_bands *b, int w, int h, int k, int dw, int dh, int expand);
int aa_bands_done(aa_bands *b, const AVFrame *f);
void aa_bands_copy(const aa_bands *b, uint8_t *y, uint8_t *cb, uint8_t *cr, int ys, int cs);

#endif
