// Band scaling: FFmpeg's H.264 decoder reports each run of rows that is
// final (deblocked) through AVCodecContext.draw_horiz_band while it decodes
// the rest of the picture. Box-scaling those rows there, while they are
// still in the core's cache, costs a third of scaling the whole picture
// after it is output (a 1080p picture is 3 MB, and by then its first rows
// have left the cache). Pictures are scaled this way only when everything
// about them is as expected (see aa_bands_done); the caller scales the
// others from the finished frame, so the result is the same either way.

#include "bands.h"

#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>

aa_bands *aa_bands_new(int level, int direct) {
	aa_bands *b = calloc(1, sizeof(*b));
	if (b) {
		b->level = level;
		b->direct = direct;
	}
	return b;
}

void aa_bands_free(aa_bands *b) {
	if (!b)
		return;
	free(b->planes[0]);
	free(b->acc);
	free(b->q);
	free(b);
}

// aa_bands_begin prepares for the picture of the next packet: a w×h 8-bit
// 4:2:0 picture k times dw×dh, range-expanded when expand. k = 0 turns
// band scaling off for it. It returns 0 when memory ran out (band
// scaling then stays off).
int aa_bands_begin(aa_bands *b, int w, int h, int k, int dw, int dh, int expand) {
	b->key = NULL;
	b->covered = b->ydone = b->cdone = 0;
	b->broken = 0;
	b->k = 0;
	if (k < 2)
		return 1;
	size_t cw = (size_t)(dw + 1) / 2, ch = (size_t)(dh + 1) / 2;
	size_t need = (size_t)dw * dh + 2 * cw * ch;
	if (need > b->cap) {
		uint8_t *p = realloc(b->planes[0], need);
		if (!p)
			return 0;
		b->planes[0] = p;
		b->cap = need;
	}
	b->planes[1] = b->planes[0] + (size_t)dw * dh;
	b->planes[2] = b->planes[1] + cw * ch;
	if (w > b->acc_w) {
		uint16_t *acc = realloc(b->acc, (size_t)w * sizeof(*acc));
		if (!acc)
			return 0;
		b->acc = acc;
		uint8_t *q = realloc(b->q, (size_t)w);
		if (!q)
			return 0;
		b->q = q;
		b->acc_w = w;
	}
	b->w = w;
	b->h = h;
	b->k = k;
	b->dw = dw;
	b->dh = dh;
	b->expand = expand;
	return 1;
}

// aa_bands_draw is the draw_horiz_band callback: rows [y, y+height) of src
// are final. It scales every output row whose source rows all are.
static void aa_bands_draw(AVCodecContext *c, const AVFrame *src, int offset[AV_NUM_DATA_POINTERS], int y, int type,
                          int height) {
	(void)offset;
	aa_bands *b = c->opaque;
	if (!b || b->k == 0 || b->broken || height <= 0)
		return;
	// Only whole progressive pictures of the expected size and format,
	// one after the other from the top: fields, a size change within the
	// packet or a gap (a lost slice) leave the picture to the caller.
	if (type != 3 /* PICT_FRAME */ || c->width != b->w || c->height != b->h ||
	    (src->format != AV_PIX_FMT_YUV420P && src->format != AV_PIX_FMT_YUVJ420P)) {
		b->broken = 1;
		return;
	}
	if (!b->key) {
		if (y != 0) {
			b->broken = 1;
			return;
		}
		b->key = src->data[0];
	} else if (src->data[0] != b->key || y > b->covered) {
		b->broken = 1;
		return;
	}
	if (y + height > b->covered)
		b->covered = y + height;
	const int whole = b->covered >= b->h, k = b->k;
	const int ylim = whole ? b->dh : b->covered / k;
	if (ylim > b->ydone) {
		aa_box_one(src->data[0] + (size_t)b->ydone * k * src->linesize[0], src->linesize[0],
		           b->planes[0] + (size_t)b->ydone * b->dw, b->dw, b->dw, ylim - b->ydone, k, b->expand ? 1 : 0,
		           b->level, b->direct, b->acc, b->q);
		b->ydone = ylim;
	}
	const int cw = (b->dw + 1) / 2, ch = (b->dh + 1) / 2;
	const int clim = whole ? ch : b->covered / 2 / k;
	if (clim > b->cdone) {
		for (int p = 1; p <= 2; p++)
			aa_box_one(src->data[p] + (size_t)b->cdone * k * src->linesize[p], src->linesize[p],
			           b->planes[p] + (size_t)b->cdone * cw, cw, cw, clim - b->cdone, k, b->expand ? 2 : 0,
			           b->level, b->direct, b->acc, b->q);
		b->cdone = clim;
	}
}

void aa_bands_install(AVCodecContext *c, aa_bands *b) {
	c->opaque = b;
	c->draw_horiz_band = aa_bands_draw;
}

// aa_bands_done reports whether f, a picture the decoder output, is the
// one the bands were drawn from, scaled whole: the same buffer, every row
// final from top to bottom, and no error concealment (which rewrites
// pixels after their bands were drawn). The geometry stays readable until
// the next aa_bands_begin; further bands before it are ignored.
int aa_bands_done(aa_bands *b, const AVFrame *f) {
	int ok = b->k != 0 && !b->broken && b->key && f->data[0] == b->key && f->width == b->w && f->height == b->h &&
	         b->ydone == b->dh && b->cdone == (b->dh + 1) / 2 && f->decode_error_flags == 0 &&
	         !(f->flags & AV_FRAME_FLAG_CORRUPT);
	b->key = NULL;
	b->broken = 1;
	return ok;
}

// aa_bands_copy copies the scaled picture into the three planes of an
// image with the given strides.
void aa_bands_copy(const aa_bands *b, uint8_t *y, uint8_t *cb, uint8_t *cr, int ys, int cs) {
	const int cw = (b->dw + 1) / 2, ch = (b->dh + 1) / 2;
	for (int r = 0; r < b->dh; r++)
		memcpy(y + (size_t)r * ys, b->planes[0] + (size_t)r * b->dw, b->dw);
	for (int r = 0; r < ch; r++) {
		memcpy(cb + (size_t)r * cs, b->planes[1] + (size_t)r * cw, cw);
		memcpy(cr + (size_t)r * cs, b->planes[2] + (size_t)r * cw, cw);
	}
}
