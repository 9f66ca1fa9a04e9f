package decode

/*
#include "bands.h"
*/
import "C"

import (
	"unsafe"

	"github.com/asticode/go-astiav"
)

// bandScaler box-scales the pictures of a software H.264 decoder band by
// band while they decode (bands.c), for pipelines that scale every
// picture. Pictures it could not follow are scaled from the finished frame
// as usual.
type bandScaler struct {
	c        *C.aa_bands
	longSide int
	// The geometry of the pictures of the current stream, recomputed when
	// the decoder's size, format or range changes.
	w, h, k, dw, dh int
	pf              astiav.PixelFormat
	full            bool
	// banded counts the pictures scaled this way.
	banded uint64
}

// codecContextPointer returns the AVCodecContext behind cc. go-astiav
// v0.16.0 has no accessor for it; its CodecContext starts with the C
// pointer, and newBandScaler checks what it finds there.
func codecContextPointer(cc *astiav.CodecContext) *C.AVCodecContext {
	return *(**C.AVCodecContext)(unsafe.Pointer(cc))
}

// newBandScaler installs band scaling to longSide on an open software
// H.264 decoder, or returns nil where it does not apply. With frame or
// slice threads FFmpeg would call back from several threads at once, and
// out of order.
func newBandScaler(cc *astiav.CodecContext, longSide int) *bandScaler {
	p := codecContextPointer(cc)
	if p == nil || p.codec_id != C.AV_CODEC_ID_H264 || p.hw_device_ctx != nil || p.active_thread_type != 0 ||
		p.draw_horiz_band != nil || p.opaque != nil {
		return nil
	}
	if longSide <= 0 {
		longSide = DefaultLongSide
	}
	c := C.aa_bands_new(C.int(simdLevel), C.int(directBox2))
	if c == nil {
		return nil
	}
	C.aa_bands_install(p, c)
	return &bandScaler{c: c, longSide: longSide}
}

// begin prepares for the picture of the next packet, with the decoder's
// current geometry (none before the first parameter sets).
func (b *bandScaler) begin(cc *astiav.CodecContext) {
	w, h, pf := cc.Width(), cc.Height(), cc.PixelFormat()
	full := fullRange(cc.ColorRange(), pf)
	if w != b.w || h != b.h || pf != b.pf || full != b.full {
		b.w, b.h, b.pf, b.full = w, h, pf, full
		b.dw, b.dh = OutputSize(w, h, b.longSide)
		b.k = boxKernelRatio(w, h, pf, b.dw, b.dh)
	}
	expand := C.int(1)
	if full {
		expand = 0
	}
	if C.aa_bands_begin(b.c, C.int(w), C.int(h), C.int(b.k), C.int(b.dw), C.int(b.dh), expand) == 0 {
		b.k = 0 // out of memory: scale from finished frames
	}
}

// done reports whether f was scaled whole from its bands.
func (b *bandScaler) done(f *astiav.Frame) bool {
	if C.aa_bands_done(b.c, (*C.AVFrame)(f.UnsafePointer())) == 0 {
		return false
	}
	b.banded++
	return true
}

// matches reports whether the banded picture has the geometry the scaler
// chose for the finished frame.
func (b *bandScaler) matches(k, dw, dh int, expand bool) bool {
	return int(b.c.k) == k && int(b.c.dw) == dw && int(b.c.dh) == dh && (b.c.expand != 0) == expand
}

// copyTo copies the banded picture into three image planes.
func (b *bandScaler) copyTo(y, cb, cr *byte, yStride, cStride int) {
	C.aa_bands_copy(b.c, (*C.uint8_t)(unsafe.Pointer(y)), (*C.uint8_t)(unsafe.Pointer(cb)), (*C.uint8_t)(unsafe.Pointer(cr)),
		C.int(yStride), C.int(cStride))
}

// free releases the band state; the codec context must be freed first.
func (b *bandScaler) free() {
	C.aa_bands_free(b.c)
	b.c = nil
}
