package realollama

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// GGUF value type tags (GGUF specification, version 3).
const (
	ggufTypeUint32  = 4
	ggufTypeInt32   = 5
	ggufTypeFloat32 = 6
	ggufTypeBool    = 7
	ggufTypeString  = 8
	ggufTypeArray   = 9
)

// ggml tensor element types used by the tiny models.
const (
	ggmlTypeF32 = 0
	ggmlTypeF16 = 1
)

// ggufAlignment is the default data alignment; the file does not override it.
const ggufAlignment = 32

// ggufKV is one metadata entry; value is one of uint32, int32, float32, bool,
// string, []string, []float32 or []int32.
type ggufKV struct {
	key   string
	value any
}

// ggufTensor is one tensor: dims are listed innermost first (ggml's ne[0]
// is the row length), data holds float32 values that are written as F32 or
// converted to F16.
type ggufTensor struct {
	name  string
	dims  []uint64
	typ   uint32
	data  []float32
	bytes uint64
}

// ggufFile collects metadata and tensors and serialises them as GGUF v3.
// It exists so the tests can generate model files instead of committing or
// downloading binary weights.
type ggufFile struct {
	kvs     []ggufKV
	tensors []*ggufTensor
	err     error
}

func (f *ggufFile) add(key string, value any) {
	f.kvs = append(f.kvs, ggufKV{key: key, value: value})
}

// addTensor registers a tensor; its element count must match dims.
func (f *ggufFile) addTensor(name string, typ uint32, data []float32, dims ...uint64) {
	n := uint64(1)
	for _, d := range dims {
		n *= d
	}
	if uint64(len(data)) != n && f.err == nil {
		// Only reachable through a bug in this package's model shapes.
		f.err = fmt.Errorf("tensor %s: %d values for dims %v", name, len(data), dims)
	}
	size := n * 4
	if typ == ggmlTypeF16 {
		size = n * 2
	}
	f.tensors = append(f.tensors, &ggufTensor{name: name, dims: dims, typ: typ, data: data, bytes: size})
}

// writeTo serialises the file.
func (f *ggufFile) writeTo(w io.Writer) error {
	if f.err != nil {
		return fmt.Errorf("write gguf: %w", f.err)
	}
	bw := bufio.NewWriter(w)
	e := &ggufEncoder{w: bw}
	e.raw([]byte("GGUF"))
	e.u32(3)
	e.u64(uint64(len(f.tensors)))
	e.u64(uint64(len(f.kvs)))
	for _, kv := range f.kvs {
		e.str(kv.key)
		e.value(kv.value)
	}
	var offset uint64
	for _, t := range f.tensors {
		e.str(t.name)
		e.u32(uint32(len(t.dims)))
		for _, d := range t.dims {
			e.u64(d)
		}
		e.u32(t.typ)
		e.u64(offset)
		offset = alignUp(offset+t.bytes, ggufAlignment)
	}
	e.pad()
	for _, t := range f.tensors {
		for _, v := range t.data {
			if t.typ == ggmlTypeF16 {
				e.u16(float32ToHalf(v))
			} else {
				e.u32(math.Float32bits(v))
			}
		}
		e.pad()
	}
	if e.err != nil {
		return fmt.Errorf("write gguf: %w", e.err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write gguf: %w", err)
	}
	return nil
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) / a * a }

// ggufEncoder writes little-endian GGUF primitives and remembers the first
// error, so the serialiser reads as a flat list of fields.
type ggufEncoder struct {
	w   io.Writer
	n   uint64
	err error
	buf [8]byte
}

func (e *ggufEncoder) raw(b []byte) {
	if e.err != nil {
		return
	}
	var n int
	n, e.err = e.w.Write(b)
	e.n += uint64(n)
}

func (e *ggufEncoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.buf[:2], v)
	e.raw(e.buf[:2])
}

func (e *ggufEncoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:4], v)
	e.raw(e.buf[:4])
}

func (e *ggufEncoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:8], v)
	e.raw(e.buf[:8])
}

func (e *ggufEncoder) str(s string) {
	e.u64(uint64(len(s)))
	e.raw([]byte(s))
}

func (e *ggufEncoder) pad() {
	if p := alignUp(e.n, ggufAlignment) - e.n; p > 0 {
		e.raw(make([]byte, p))
	}
}

func (e *ggufEncoder) value(v any) {
	switch x := v.(type) {
	case uint32:
		e.u32(ggufTypeUint32)
		e.u32(x)
	case int32:
		e.u32(ggufTypeInt32)
		e.u32(uint32(x))
	case float32:
		e.u32(ggufTypeFloat32)
		e.u32(math.Float32bits(x))
	case bool:
		e.u32(ggufTypeBool)
		if x {
			e.raw([]byte{1})
		} else {
			e.raw([]byte{0})
		}
	case string:
		e.u32(ggufTypeString)
		e.str(x)
	case []string:
		e.u32(ggufTypeArray)
		e.u32(ggufTypeString)
		e.u64(uint64(len(x)))
		for _, s := range x {
			e.str(s)
		}
	case []float32:
		e.u32(ggufTypeArray)
		e.u32(ggufTypeFloat32)
		e.u64(uint64(len(x)))
		for _, f := range x {
			e.u32(math.Float32bits(f))
		}
	case []int32:
		e.u32(ggufTypeArray)
		e.u32(ggufTypeInt32)
		e.u64(uint64(len(x)))
		for _, i := range x {
			e.u32(uint32(i))
		}
	default:
		if e.err == nil {
			e.err = fmt.Errorf("unsupported metadata type %T", v)
		}
	}
}

// float32ToHalf converts to IEEE 754 binary16 with round-to-nearest-even on
// the mantissa; the tiny models only hold small finite values, so subnormal
// outputs flush to zero and overflow saturates to infinity.
func float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23&0xff) - 127 + 15
	mant := b & 0x7fffff
	switch {
	case exp <= 0:
		return sign
	case exp >= 31:
		return sign | 0x7c00
	}
	h := uint32(exp)<<10 | mant>>13
	rest := mant & 0x1fff
	if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
		h++ // may carry into the exponent, which is the correct rounding
	}
	return sign | uint16(h)
}
