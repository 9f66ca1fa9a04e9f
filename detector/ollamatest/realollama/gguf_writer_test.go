package realollama

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

func TestFloat32ToHalf(t *testing.T) {
	tests := []struct {
		in   float32
		want uint16
	}{
		{0, 0x0000},
		{1, 0x3c00},
		{-2, 0xc000},
		{0.5, 0x3800},
		{65504, 0x7bff},                 // largest finite half
		{1e6, 0x7c00},                   // overflow saturates to +Inf
		{1e-9, 0x0000},                  // underflow flushes to zero
		{1 + 1.0/2048, 0x3c00},          // halfway, ties to even (down)
		{1 + 3.0/2048, 0x3c02},          // halfway, ties to even (up)
		{float32(math.Inf(-1)), 0xfc00}, // -Inf
	}
	for _, tc := range tests {
		if got := float32ToHalf(tc.in); got != tc.want {
			t.Errorf("float32ToHalf(%g) = %#04x, want %#04x", tc.in, got, tc.want)
		}
	}
}

func TestTinyModelFiles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		write   func(*bytes.Buffer, uint64) error
		tensors uint64
	}{
		// token_embd, output_norm, output + 9 per block.
		{"text", func(b *bytes.Buffer, s uint64) error { return WriteTextModel(b, s) }, 3 + 9*textLayers},
		// patch, class, position, pre_ln x2 + 16 per block + mm x4.
		{"projector", func(b *bytes.Buffer, s uint64) error { return WriteProjector(b, s) }, 5 + 16*visionLayers + 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a, b, c bytes.Buffer
			if err := tc.write(&a, 1); err != nil {
				t.Fatal(err)
			}
			if err := tc.write(&b, 1); err != nil {
				t.Fatal(err)
			}
			if err := tc.write(&c, 2); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Error("same seed gave different files")
			}
			if bytes.Equal(a.Bytes(), c.Bytes()) {
				t.Error("different seeds gave the same file")
			}
			data := a.Bytes()
			if len(data) >= 1<<20 {
				t.Errorf("file is %d bytes, want < 1 MiB", len(data))
			}
			if len(data)%ggufAlignment != 0 {
				t.Errorf("file length %d is not a multiple of the alignment", len(data))
			}
			if string(data[:4]) != "GGUF" || binary.LittleEndian.Uint32(data[4:]) != 3 {
				t.Fatalf("header %q v%d, want GGUF v3", data[:4], binary.LittleEndian.Uint32(data[4:]))
			}
			if n := binary.LittleEndian.Uint64(data[8:]); n != tc.tensors {
				t.Errorf("%d tensors, want %d", n, tc.tensors)
			}
		})
	}
}

func TestGGUFWriterRejectsBadShape(t *testing.T) {
	f := &ggufFile{}
	f.addTensor("x", ggmlTypeF32, make([]float32, 3), 2, 2)
	if err := f.writeTo(&bytes.Buffer{}); err == nil {
		t.Fatal("a tensor with 3 values for 2x2 was written without error")
	}
}
