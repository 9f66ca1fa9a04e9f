// Package jpegenc is a fast baseline JPEG encoder for *image.RGBA and 4:2:0
// *image.YCbCr pictures, made for the three query images of every segment (a budget of a few milliseconds
// for about 330 000 pixels per segment).
//
// The stream it writes is the same kind image/jpeg writes — baseline,
// YCbCr 4:2:0, the quality-scaled quantisation tables and the Huffman
// tables of the JPEG standard (ITU T.81 Annex K) — and its headers are
// taken from image/jpeg itself: NewEncoder encodes a tiny picture with the
// standard library at the same quality and reads the tables back, so the two
// encoders agree on every table byte. What differs is the inner loop:
// colour conversion on 2×2-averaged chroma (none at all for 4:2:0 input), a floating-point AAN DCT with
// the quantiser folded into its scale factors, and a 64-bit bit writer.
package jpegenc

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math/bits"

	"github.com/anyanomaly/anyanomaly/context/internal/yuv"
)

// Encoder encodes pictures at one quality. It is immutable after
// NewEncoder and safe for concurrent use.
type Encoder struct {
	quality int
	header  []byte // SOI … SOS with a placeholder size in SOF0
	sofSize int    // offset of SOF0's height field in header
	recip   [2][64]float32
	dc      [2]huffTable
	ac      [2]huffTable
}

// huffTable maps a symbol to its code (right-aligned) and code length.
type huffTable struct {
	code [256]uint32
	size [256]uint8
}

// NewEncoder returns an encoder for quality 1–100 (as image/jpeg's
// Options.Quality).
func NewEncoder(quality int) (*Encoder, error) {
	if quality < 1 || quality > 100 {
		return nil, fmt.Errorf("jpegenc: quality %d must be in 1..100", quality)
	}
	e := &Encoder{quality: quality}
	var ref bytes.Buffer
	probe := image.NewRGBA(image.Rect(0, 0, 16, 16))
	if err := jpeg.Encode(&ref, probe, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("jpegenc: reference encode: %w", err)
	}
	if err := e.parseHeader(ref.Bytes()); err != nil {
		return nil, fmt.Errorf("jpegenc: reading image/jpeg's tables: %w", err)
	}
	return e, nil
}

// Quality returns the encoder's quality.
func (e *Encoder) Quality() int { return e.quality }

// aanScale are the AAN DCT's per-frequency output scale factors:
// cos(kπ/16)·√2 for k > 0, 1 for k = 0.
var aanScale = [8]float64{1, 1.387039845, 1.306562965, 1.175875602, 1, 0.785694958, 0.541196100, 0.275899379}

// zigzag maps zig-zag position to natural (row-major) index.
var zigzag = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
}

var errHeader = errors.New("unexpected stream layout")

// parseHeader keeps the stream up to the end of SOS and extracts the
// quantisation and Huffman tables.
func (e *Encoder) parseHeader(b []byte) error {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return errHeader
	}
	p := 2
	seen := 0
	for p+4 <= len(b) {
		if b[p] != 0xFF {
			return errHeader
		}
		marker := b[p+1]
		n := int(binary.BigEndian.Uint16(b[p+2:]))
		if n < 2 || p+2+n > len(b) {
			return errHeader
		}
		seg := b[p+4 : p+2+n]
		switch marker {
		case 0xDB: // DQT
			for len(seg) >= 65 {
				if seg[0]>>4 != 0 || seg[0]&15 > 1 {
					return errHeader
				}
				t := seg[0] & 15
				for k := 0; k < 64; k++ {
					nat := int(zigzag[k])
					q := float64(seg[1+k]) * aanScale[nat/8] * aanScale[nat%8] * 8
					e.recip[t][nat] = float32(1 / q)
				}
				seen |= 1 << t
				seg = seg[65:]
			}
		case 0xC0: // SOF0
			if len(seg) != 15 || seg[5] != 3 || seg[7] != 0x22 || seg[8] != 0 || seg[10] != 0x11 || seg[11] != 1 || seg[13] != 0x11 || seg[14] != 1 {
				return errHeader
			}
			e.sofSize = p + 5
			seen |= 4
		case 0xC4: // DHT
			for len(seg) >= 17 {
				class, id := seg[0]>>4, seg[0]&15
				if class > 1 || id > 1 {
					return errHeader
				}
				total := 0
				for _, c := range seg[1:17] {
					total += int(c)
				}
				if len(seg) < 17+total {
					return errHeader
				}
				t := &e.dc[id]
				if class == 1 {
					t = &e.ac[id]
				}
				t.build(seg[1:17], seg[17:17+total])
				seen |= 8 << (2*class + id)
				seg = seg[17+total:]
			}
		case 0xDA: // SOS: the tables are all known by now
			if seen != 0x7F {
				return errHeader
			}
			e.header = append([]byte(nil), b[:p+2+n]...)
			return nil
		}
		p += 2 + n
	}
	return errHeader
}

// build assigns canonical Huffman codes (T.81 Annex C).
func (t *huffTable) build(counts, symbols []byte) {
	code, k := uint32(0), 0
	for length := 1; length <= 16; length++ {
		for i := 0; i < int(counts[length-1]); i++ {
			s := symbols[k]
			t.code[s], t.size[s] = code, uint8(length)
			code++
			k++
		}
		code <<= 1
	}
}

// Encode appends the JPEG encoding of img to dst and returns the extended
// slice. Pictures larger than 65535 pixels on a side are an error.
func (e *Encoder) Encode(dst []byte, img *image.RGBA) ([]byte, error) {
	b := img.Bounds()
	dst, bw, err := e.begin(dst, b)
	if err != nil {
		return dst, err
	}
	var (
		yb     [4][64]float32
		cb, cr [64]float32
		dcPrev [3]int32
	)
	for my := 0; my < b.Dy(); my += 16 {
		for mx := 0; mx < b.Dx(); mx += 16 {
			loadMCU(img, b.Min.X+mx, b.Min.Y+my, &yb, &cb, &cr)
			e.mcu(&bw, &yb, &cb, &cr, &dcPrev)
		}
	}
	return e.end(bw), nil
}

// EncodeYCbCr appends the JPEG encoding of the 4:2:0 picture img to dst and
// returns the extended slice. 4:2:0 is the stream's own layout, so the
// planes go into the DCT as they are, without any colour conversion; the
// decoded picture is img up to quantisation (image/jpeg decodes it back
// into a 4:2:0 *image.YCbCr). A picture whose rectangle starts at an odd
// coordinate has chroma blocks that straddle the stream's; each stream
// chroma sample then averages the source chroma of its 2×2 pixels, as
// image/jpeg does. Other subsamplings, planes too short for the rectangle
// and pictures larger than 65535 pixels on a side are an error.
func (e *Encoder) EncodeYCbCr(dst []byte, img *image.YCbCr) ([]byte, error) {
	if err := yuv.Check(img); err != nil {
		return dst, fmt.Errorf("jpegenc: picture %w", err)
	}
	b := img.Rect
	dst, bw, err := e.begin(dst, b)
	if err != nil {
		return dst, err
	}
	var (
		yb     [4][64]float32
		cb, cr [64]float32
		dcPrev [3]int32
	)
	aligned := b.Min.X%2 == 0 && b.Min.Y%2 == 0
	for my := 0; my < b.Dy(); my += 16 {
		for mx := 0; mx < b.Dx(); mx += 16 {
			loadLuma(img, mx, my, &yb)
			if aligned {
				loadChroma(img, mx, my, &cb, &cr)
			} else {
				loadChromaUnaligned(img, mx, my, &cb, &cr)
			}
			e.mcu(&bw, &yb, &cb, &cr, &dcPrev)
		}
	}
	return e.end(bw), nil
}

// begin checks the size, appends the header with it and reserves room.
func (e *Encoder) begin(dst []byte, b image.Rectangle) ([]byte, bitWriter, error) {
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 || w > 0xFFFF || h > 0xFFFF {
		return dst, bitWriter{}, fmt.Errorf("jpegenc: cannot encode a %dx%d picture", w, h)
	}
	start := len(dst)
	dst = append(dst, e.header...)
	binary.BigEndian.PutUint16(dst[start+e.sofSize:], uint16(h))
	binary.BigEndian.PutUint16(dst[start+e.sofSize+2:], uint16(w))
	// Typical compressed size is well under a byte per pixel; reserving
	// half of that up front avoids most regrowth.
	dst = grow(dst, w*h/2)
	return dst, bitWriter{buf: dst}, nil
}

// mcu transforms and codes one loaded macroblock.
func (e *Encoder) mcu(bw *bitWriter, yb *[4][64]float32, cb, cr *[64]float32, dcPrev *[3]int32) {
	for i := range yb {
		fdct(&yb[i])
		dcPrev[0] = e.block(bw, &yb[i], dcPrev[0], 0)
	}
	fdct(cb)
	dcPrev[1] = e.block(bw, cb, dcPrev[1], 1)
	fdct(cr)
	dcPrev[2] = e.block(bw, cr, dcPrev[2], 1)
}

// end flushes the entropy-coded data and appends EOI.
func (e *Encoder) end(bw bitWriter) []byte {
	bw.emit(0x7F, 7) // pad the last byte with ones
	bw.flushBytes()
	return append(bw.buf, 0xFF, 0xD9)
}

// loadLuma level-shifts the 16×16 luma macroblock at (mx, my) (relative to
// the rectangle) into four blocks, repeating the last row and column past
// the picture's edge as image/jpeg does.
func loadLuma(img *image.YCbCr, mx, my int, yb *[4][64]float32) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for j := 0; j < 16; j++ {
		sy := min(my+j, h-1)
		row := img.Y[sy*img.YStride : sy*img.YStride+w]
		blk := &yb[(j/8)*2]
		blk2 := &yb[(j/8)*2+1]
		o := (j % 8) * 8
		if mx+16 <= w {
			px := (*[16]byte)(row[mx : mx+16])
			for i := 0; i < 8; i++ {
				blk[o+i] = float32(int32(px[i]) - 128)
				blk2[o+i] = float32(int32(px[8+i]) - 128)
			}
			continue
		}
		for i := 0; i < 8; i++ {
			blk[o+i] = float32(int32(row[min(mx+i, w-1)]) - 128)
			blk2[o+i] = float32(int32(row[min(mx+8+i, w-1)]) - 128)
		}
	}
}

// loadChroma copies the 8×8 chroma block of the macroblock at (mx, my) of a
// picture whose rectangle starts at even coordinates, so that its chroma
// samples are the stream's. Past the edge the last chroma row and column
// repeat (what 2×2 averages of repeated edge pixels give).
func loadChroma(img *image.YCbCr, mx, my int, cb, cr *[64]float32) {
	cw, ch := yuv.ChromaSize(img.Rect)
	cx, cy := mx/2, my/2
	for j := 0; j < 8; j++ {
		o := min(cy+j, ch-1) * img.CStride
		rb, rr := img.Cb[o:o+cw], img.Cr[o:o+cw]
		if cx+8 <= cw {
			pb, pr := (*[8]byte)(rb[cx:cx+8]), (*[8]byte)(rr[cx:cx+8])
			for i := 0; i < 8; i++ {
				cb[j*8+i] = float32(int32(pb[i]) - 128)
				cr[j*8+i] = float32(int32(pr[i]) - 128)
			}
			continue
		}
		for i := 0; i < 8; i++ {
			x := min(cx+i, cw-1)
			cb[j*8+i] = float32(int32(rb[x]) - 128)
			cr[j*8+i] = float32(int32(rr[x]) - 128)
		}
	}
}

// loadChromaUnaligned averages, for each stream chroma sample of the
// macroblock at (mx, my), the chroma of its 2×2 pixels (edge pixels
// repeated) looked up through COffset: with an odd origin those pixels
// belong to different source blocks.
func loadChromaUnaligned(img *image.YCbCr, mx, my int, cb, cr *[64]float32) {
	r := img.Rect
	for j := 0; j < 8; j++ {
		for i := 0; i < 8; i++ {
			var sb, sr int32
			for k := 0; k < 4; k++ {
				x := r.Min.X + min(mx+2*i+k%2, r.Dx()-1)
				y := r.Min.Y + min(my+2*j+k/2, r.Dy()-1)
				c := img.COffset(x, y)
				sb += int32(img.Cb[c])
				sr += int32(img.Cr[c])
			}
			cb[j*8+i] = float32(sb)*0.25 - 128
			cr[j*8+i] = float32(sr)*0.25 - 128
		}
	}
}

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}

// lumR, lumG and lumB are the ITU-R 601 luma weights in 16.16 fixed point
// (as image/color uses), with the rounding term and the JPEG level shift
// of −128 folded into lumR: the sum of the three, shifted right by 16, is
// the level-shifted luma.
var lumR, lumG, lumB [256]int32

func init() {
	for i := range 256 {
		lumR[i] = 19595*int32(i) + 1<<15 - 128<<16
		lumG[i] = 38470 * int32(i)
		lumB[i] = 7471 * int32(i)
	}
}

// loadMCU converts the 16×16 macroblock at (x, y) into four level-shifted
// luma blocks and two chroma blocks averaged over 2×2 pixels. Pixels past
// the picture's edge repeat the last row or column, as image/jpeg does.
func loadMCU(img *image.RGBA, x, y int, yb *[4][64]float32, cb, cr *[64]float32) {
	r := img.Rect
	// Chroma sums per 2×2 cell: R and B packed in 16-bit lanes, G apart.
	var rb, gs [64]uint32
	var edge [64]byte // one row of the macroblock, edge pixels repeated
	x0 := (x - r.Min.X) * 4
	full := x+16 <= r.Max.X
	rowLen := r.Dx() * 4
	for j := 0; j < 16; j++ {
		sy := min(y+j, r.Max.Y-1) - r.Min.Y
		row := img.Pix[sy*img.Stride : sy*img.Stride+rowLen]
		var px *[64]byte
		if full {
			px = (*[64]byte)(row[x0 : x0+64])
		} else {
			for i := 0; i < 16; i++ {
				o := (min(x+i, r.Max.X-1) - r.Min.X) * 4
				copy(edge[4*i:4*i+4], row[o:o+4])
			}
			px = &edge
		}
		lum := (*[8]float32)(yb[(j/8)*2][(j%8)*8 : (j%8)*8+8])
		lum2 := (*[8]float32)(yb[(j/8)*2+1][(j%8)*8 : (j%8)*8+8])
		c := (*[8]uint32)(rb[(j/2)*8 : (j/2)*8+8])
		g := (*[8]uint32)(gs[(j/2)*8 : (j/2)*8+8])
		lumaRow(lum, c4(c, 0), c4(g, 0), (*[32]byte)(px[:32]))
		lumaRow(lum2, c4(c, 4), c4(g, 4), (*[32]byte)(px[32:]))
	}
	for k := 0; k < 64; k++ {
		R, G, B := float32(rb[k]&0xFFFF), float32(gs[k]), float32(rb[k]>>16)
		// ITU-R 601 chroma of the 2×2 mean; the +128 offset and the level
		// shift cancel.
		cb[k] = (-0.168736*R - 0.331264*G + 0.5*B) * 0.25
		cr[k] = (0.5*R - 0.418688*G - 0.081312*B) * 0.25
	}
}

// c4 is the four sums starting at i.
func c4(a *[8]uint32, i int) *[4]uint32 { return (*[4]uint32)(a[i : i+4]) }

// lumaRow converts eight pixels (two per 64-bit load) into level-shifted
// luma and adds their R+B (packed) and G into four 2×1 chroma sums. It is a
// function of its own because inside loadMCU the loop ran short of
// registers and spilled.
func lumaRow(lum *[8]float32, rb, g *[4]uint32, px *[32]byte) {
	for k := 0; k < 4; k++ {
		v := binary.LittleEndian.Uint64(px[8*k : 8*k+8])
		a, b := uint32(v), uint32(v>>32)
		lum[2*k] = float32((lumR[uint8(a)] + lumG[uint8(a>>8)] + lumB[uint8(a>>16)]) >> 16)
		lum[2*k+1] = float32((lumR[uint8(b)] + lumG[uint8(b>>8)] + lumB[uint8(b>>16)]) >> 16)
		rb[k] += a&0x00FF00FF + b&0x00FF00FF
		g[k] += a>>8&0xFF + b>>8&0xFF
	}
}

// fdct is the Arai–Agui–Nakajima forward DCT on rows then columns. Its
// outputs are the true coefficients times 8·aanScale[u]·aanScale[v], which
// the quantiser's reciprocals undo. The one-dimensional transform is
// written out twice rather than called, because the compiler does not
// inline a function this size and the call costs as much as the arithmetic.
func fdct(d *[64]float32) {
	for i := 0; i < 64; i += 8 {
		r := (*[8]float32)(d[i : i+8])
		t0, t7 := r[0]+r[7], r[0]-r[7]
		t1, t6 := r[1]+r[6], r[1]-r[6]
		t2, t5 := r[2]+r[5], r[2]-r[5]
		t3, t4 := r[3]+r[4], r[3]-r[4]
		t10, t13 := t0+t3, t0-t3
		t11, t12 := t1+t2, t1-t2
		r[0] = t10 + t11
		r[4] = t10 - t11
		z1 := (t12 + t13) * 0.707106781
		r[2] = t13 + z1
		r[6] = t13 - z1
		t10 = t4 + t5
		t11 = t5 + t6
		t12 = t6 + t7
		z5 := (t10 - t12) * 0.382683433
		z2 := 0.541196100*t10 + z5
		z4 := 1.306562965*t12 + z5
		z3 := t11 * 0.707106781
		z11 := t7 + z3
		z13 := t7 - z3
		r[5] = z13 + z2
		r[3] = z13 - z2
		r[1] = z11 + z4
		r[7] = z11 - z4
	}
	for i := 0; i < 8; i++ {
		c0, c1, c2, c3 := d[i], d[8+i], d[16+i], d[24+i]
		c4, c5, c6, c7 := d[32+i], d[40+i], d[48+i], d[56+i]
		t0, t7 := c0+c7, c0-c7
		t1, t6 := c1+c6, c1-c6
		t2, t5 := c2+c5, c2-c5
		t3, t4 := c3+c4, c3-c4
		t10, t13 := t0+t3, t0-t3
		t11, t12 := t1+t2, t1-t2
		d[i] = t10 + t11
		d[32+i] = t10 - t11
		z1 := (t12 + t13) * 0.707106781
		d[16+i] = t13 + z1
		d[48+i] = t13 - z1
		t10 = t4 + t5
		t11 = t5 + t6
		t12 = t6 + t7
		z5 := (t10 - t12) * 0.382683433
		z2 := 0.541196100*t10 + z5
		z4 := 1.306562965*t12 + z5
		z3 := t11 * 0.707106781
		z11 := t7 + z3
		z13 := t7 - z3
		d[40+i] = z13 + z2
		d[24+i] = z13 - z2
		d[8+i] = z11 + z4
		d[56+i] = z11 - z4
	}
}

// block quantises one transformed block and entropy-codes it, returning
// its DC value. Quantising divides by the quantiser (through its
// reciprocal) and rounds to nearest; the offset makes the float→int
// conversion (which truncates) a branch-free floor, quantised coefficients
// being far below it in magnitude.
func (e *Encoder) block(bw *bitWriter, d *[64]float32, prev int32, t int) int32 {
	recip := &e.recip[t]
	dcv := int32(d[0]*recip[0]+(rounding+0.5)) - rounding
	n, extra := category(dcv - prev)
	dc := &e.dc[t]
	bw.emit(dc.code[n]<<n|extra, uint(dc.size[n])+uint(n))
	ac := &e.ac[t]
	run := uint32(0)
	for k := 1; k < 64; k++ {
		z := zigzag[k] & 63
		v := int32(d[z]*recip[z]+(rounding+0.5)) - rounding
		if v == 0 {
			run++
			continue
		}
		for run > 15 {
			bw.emit(ac.code[0xF0], uint(ac.size[0xF0]))
			run -= 16
		}
		n, extra := category(v)
		s := run<<4 | n
		bw.emit(ac.code[s]<<n|extra, uint(ac.size[s])+uint(n))
		run = 0
	}
	if run > 0 {
		bw.emit(ac.code[0x00], uint(ac.size[0x00]))
	}
	return dcv
}

const rounding = 1 << 14

// category returns v's magnitude category (bit length of |v|) and the
// category's extra bits: v itself when positive, v−1 in n bits otherwise.
func category(v int32) (n uint32, extra uint32) {
	a := v
	if a < 0 {
		a = -a
		v--
	}
	n = uint32(bits.Len32(uint32(a)))
	return n, uint32(v) & (1<<n - 1)
}

// bitWriter packs codes MSB first and byte-stuffs 0xFF.
type bitWriter struct {
	buf []byte
	acc uint64
	n   uint
}

// emit appends the low size bits of code (size ≤ 32).
func (w *bitWriter) emit(code uint32, size uint) {
	w.acc = w.acc<<size | uint64(code)
	w.n += size
	if w.n >= 32 {
		w.flushBytes()
	}
}

func (w *bitWriter) flushBytes() {
	for w.n >= 8 {
		w.n -= 8
		c := byte(w.acc >> w.n)
		if c == 0xFF {
			w.buf = append(w.buf, 0xFF, 0x00)
		} else {
			w.buf = append(w.buf, c)
		}
	}
}
