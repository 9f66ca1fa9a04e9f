// Package query turns a segment's frames and a text into the three query
// images of method §7 — the key frame, the position context (PC) and the
// temporal context (TC) — with the numbers that explain them, and encodes
// them as JPEG.
package query

import (
	"bytes"
	"fmt"
	"image"
	"sync"

	"github.com/anyanomaly/anyanomaly/context/jpegenc"
	"github.com/anyanomaly/anyanomaly/context/keyframe"
	"github.com/anyanomaly/anyanomaly/context/position"
	"github.com/anyanomaly/anyanomaly/context/relevance"
	"github.com/anyanomaly/anyanomaly/context/temporal"
)

// Builder builds query images. It is safe for concurrent use; its buffers
// are pooled so steady-state Builds allocate little.
type Builder struct {
	cfg    Config
	scorer relevance.Scorer
	pos    *position.Builder
	tc     *temporal.Builder
	jpeg   *jpegenc.Encoder
	enc    sync.Pool // *[]byte scratch for encoding
}

// NewBuilder checks cfg and returns a Builder that rates frames with scorer.
func NewBuilder(cfg Config, scorer relevance.Scorer) (*Builder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if scorer == nil {
		return nil, fmt.Errorf("query: nil relevance scorer")
	}
	scales, _ := cfg.scales()
	pos, err := position.NewBuilder(position.Config{WorkSize: cfg.WorkSize, Scales: scales, OutSize: cfg.OutSize})
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	tc, err := temporal.NewBuilder(temporal.Config{WorkSize: cfg.WorkSize, Scales: scales, TileSize: cfg.TileSize})
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	enc, err := jpegenc.NewEncoder(cfg.JPEGQuality)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return &Builder{cfg: cfg, scorer: scorer, pos: pos, tc: tc, jpeg: enc}, nil
}

// Config returns the Builder's configuration.
func (b *Builder) Config() Config { return b.cfg }

// TextAgnostic reports whether the scorer ignores the text, in which case
// one Build serves every text of the same frames.
func (b *Builder) TextAgnostic() bool { return relevance.IsTextAgnostic(b.scorer) }

// Build computes the key frames, the PC image and the TC grid of frames for
// text. frames must hold at least four 4:2:0 frames of one size (see
// relevance.CheckFrames).
func (b *Builder) Build(frames []*image.YCbCr, text string) (*Images, error) {
	if len(frames) < keyframe.MinFrames {
		return nil, fmt.Errorf("query: segment has %d frames, need at least %d", len(frames), keyframe.MinFrames)
	}
	if _, _, err := relevance.CheckFrames(frames); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	seg, err := b.scorer.Prepare(frames, text)
	if err != nil {
		return nil, fmt.Errorf("query: %s relevance: %w", b.scorer.Name(), err)
	}
	defer relevance.Release(seg)

	scores := make([]float64, len(frames))
	for i := range frames {
		scores[i] = seg.Frame(i)
	}
	sel, err := keyframe.Select(scores)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	pc, err := b.pos.Build(seg, sel.Key, frames[sel.Key])
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	tc, err := b.tc.Build(seg, frames, sel.Temporal)
	if err != nil {
		b.pos.Release(pc)
		return nil, fmt.Errorf("query: %w", err)
	}
	return &Images{
		Scorer:          b.scorer.Name(),
		KeyIndex:        sel.Key,
		TemporalIndices: sel.Temporal,
		GroupSize:       sel.GroupSize,
		FrameScores:     scores,
		KeyFrame:        frames[sel.Key],
		Position:        pc.Image,
		Attention:       pc.Attention,
		PositionDetail:  pc,
		Temporal:        tc.Image,
		TemporalWindow:  tc.Window,
		TemporalScale:   tc.Scale.Size,
		TemporalDetail:  tc,
	}, nil
}

// Release hands im's pooled buffers back; im (and its Position, Attention
// and Temporal) must not be used afterwards. KeyFrame is the caller's and is
// left alone.
func (b *Builder) Release(im *Images) {
	if im == nil {
		return
	}
	b.pos.Release(im.PositionDetail)
	b.tc.Release(im.TemporalDetail)
	*im = Images{}
}

// Encode JPEG-encodes the three images at the configured quality (baseline,
// 4:2:0, standard tables; see package jpegenc). The key frame goes in from
// its planes, without colour conversion. The returned slices are the
// caller's.
func (b *Builder) Encode(im *Images) (JPEGs, error) {
	if im == nil || im.KeyFrame == nil || im.Position == nil || im.Temporal == nil {
		return JPEGs{}, fmt.Errorf("query: encode: incomplete images")
	}
	var out JPEGs
	var err error
	if out.KeyFrame, err = b.encode(func(dst []byte) ([]byte, error) { return b.jpeg.EncodeYCbCr(dst, im.KeyFrame) }); err != nil {
		return JPEGs{}, fmt.Errorf("query: encode key frame: %w", err)
	}
	if out.Position, err = b.encode(func(dst []byte) ([]byte, error) { return b.jpeg.Encode(dst, im.Position) }); err != nil {
		return JPEGs{}, fmt.Errorf("query: encode position context: %w", err)
	}
	if out.Temporal, err = b.encode(func(dst []byte) ([]byte, error) { return b.jpeg.Encode(dst, im.Temporal) }); err != nil {
		return JPEGs{}, fmt.Errorf("query: encode temporal context: %w", err)
	}
	return out, nil
}

// encode runs one encoder call on a pooled scratch buffer and returns a
// copy of the exact size.
func (b *Builder) encode(enc func(dst []byte) ([]byte, error)) ([]byte, error) {
	buf, _ := b.enc.Get().(*[]byte)
	if buf == nil {
		buf = new([]byte)
	}
	defer b.enc.Put(buf)
	out, err := enc((*buf)[:0])
	*buf = out
	if err != nil {
		return nil, err
	}
	return bytes.Clone(out), nil
}
