package realollama

import (
	"fmt"
	"io"
	"math/rand/v2"
)

// Shapes of the tiny models. They are as small as llama.cpp accepts while
// still exercising every stage a real model goes through (tokenizer, two
// transformer blocks, sampling; for images: patch embedding, a CLIP encoder
// and an MLP projector into the text model's embedding space).
const (
	// TextEmbedding is the text model's embedding width; the projector's
	// output must match it or the runner refuses to load the pair.
	TextEmbedding = 64
	textLayers    = 2
	textHeads     = 4
	textFF        = 128
	textContext   = 4096

	visionHidden = 32
	visionHeads  = 2
	visionFF     = 64
	visionLayers = 2
	// ImageSize is the side the projector resizes every image to; with
	// 14-pixel patches an image costs 4 tokens, keeping CPU inference fast.
	ImageSize       = 28
	visionPatchSize = 14
	projectorHidden = 64
)

// Token ids of the byte-level vocabulary: three control tokens, then one
// token per byte value, so any text tokenises through byte fallback.
const (
	tokenUnknown = 0
	tokenBOS     = 1
	tokenEOS     = 2
	firstByte    = 3
	vocabSize    = firstByte + 256
)

// llama.cpp token types.
const (
	tokenTypeUnknown = 2
	tokenTypeControl = 3
	tokenTypeByte    = 6
)

// WriteTextModel writes a tiny random-weight llama GGUF (2 blocks, byte-level
// SentencePiece vocabulary, F32, under 1 MB) to w. The same seed gives the
// same bytes. The model has the `completion` capability only.
func WriteTextModel(w io.Writer, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x7e47))
	f := &ggufFile{}
	f.add("general.architecture", "llama")
	f.add("general.name", "anyanomaly-tiny-text")
	f.add("general.file_type", uint32(0)) // all F32
	f.add("llama.context_length", uint32(textContext))
	f.add("llama.embedding_length", uint32(TextEmbedding))
	f.add("llama.block_count", uint32(textLayers))
	f.add("llama.feed_forward_length", uint32(textFF))
	f.add("llama.attention.head_count", uint32(textHeads))
	f.add("llama.attention.head_count_kv", uint32(textHeads))
	f.add("llama.rope.dimension_count", uint32(TextEmbedding/textHeads))
	f.add("llama.attention.layer_norm_rms_epsilon", float32(1e-5))
	f.add("llama.vocab_size", uint32(vocabSize))

	tokens := make([]string, vocabSize)
	scores := make([]float32, vocabSize)
	types := make([]int32, vocabSize)
	tokens[tokenUnknown], types[tokenUnknown] = "<unk>", tokenTypeUnknown
	tokens[tokenBOS], types[tokenBOS] = "<s>", tokenTypeControl
	tokens[tokenEOS], types[tokenEOS] = "</s>", tokenTypeControl
	for b := range 256 {
		tokens[firstByte+b] = fmt.Sprintf("<0x%02X>", b)
		types[firstByte+b] = tokenTypeByte
	}
	f.add("tokenizer.ggml.model", "llama")
	f.add("tokenizer.ggml.tokens", tokens)
	f.add("tokenizer.ggml.scores", scores)
	f.add("tokenizer.ggml.token_type", types)
	f.add("tokenizer.ggml.bos_token_id", uint32(tokenBOS))
	f.add("tokenizer.ggml.eos_token_id", uint32(tokenEOS))
	f.add("tokenizer.ggml.unknown_token_id", uint32(tokenUnknown))
	f.add("tokenizer.ggml.add_bos_token", true)
	f.add("tokenizer.ggml.add_eos_token", false)

	const e, ff = TextEmbedding, textFF
	f.addTensor("token_embd.weight", ggmlTypeF32, randn(rng, e*vocabSize, 0.5), e, vocabSize)
	for l := range textLayers {
		p := fmt.Sprintf("blk.%d.", l)
		f.addTensor(p+"attn_norm.weight", ggmlTypeF32, ones(e), e)
		for _, n := range []string{"attn_q", "attn_k", "attn_v", "attn_output"} {
			f.addTensor(p+n+".weight", ggmlTypeF32, randn(rng, e*e, 0.1), e, e)
		}
		f.addTensor(p+"ffn_norm.weight", ggmlTypeF32, ones(e), e)
		f.addTensor(p+"ffn_gate.weight", ggmlTypeF32, randn(rng, e*ff, 0.1), e, ff)
		f.addTensor(p+"ffn_up.weight", ggmlTypeF32, randn(rng, e*ff, 0.1), e, ff)
		f.addTensor(p+"ffn_down.weight", ggmlTypeF32, randn(rng, ff*e, 0.1), ff, e)
	}
	f.addTensor("output_norm.weight", ggmlTypeF32, ones(e), e)
	// Zero output rows give the control tokens a logit of exactly 0, while
	// the largest of 256 random byte logits is positive for all practical
	// purposes: greedy decoding never ends a reply early, so every reply
	// runs to num_predict (done_reason "length") and its cost is predictable.
	out := randn(rng, e*vocabSize, 0.5)
	clear(out[:firstByte*e])
	f.addTensor("output.weight", ggmlTypeF32, out, e, vocabSize)
	return f.writeTo(w)
}

// WriteProjector writes a tiny random-weight LLaVA-style CLIP image projector
// GGUF (general.architecture "clip", MLP projector) whose output width equals
// TextEmbedding, so that a model created FROM the text model and this file
// accepts images: the runner really decodes, resizes, encodes and projects
// them. Ollama files it as the model's projector layer.
func WriteProjector(w io.Writer, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0xc11b))
	const (
		h       = visionHidden
		patches = (ImageSize / visionPatchSize) * (ImageSize / visionPatchSize)
		// The class embedding takes position 0, the patches follow.
		positions = patches + 1
	)
	f := &ggufFile{}
	f.add("general.architecture", "clip")
	f.add("general.name", "anyanomaly-tiny-projector")
	f.add("general.description", "random-weight test projector generated by anyanomaly realollama")
	f.add("general.file_type", uint32(1)) // mostly F16, like published projectors
	f.add("clip.has_text_encoder", false)
	f.add("clip.has_vision_encoder", true)
	f.add("clip.has_llava_projector", true)
	f.add("clip.projector_type", "mlp")
	f.add("clip.use_gelu", true)
	f.add("clip.vision.image_size", uint32(ImageSize))
	f.add("clip.vision.patch_size", uint32(visionPatchSize))
	f.add("clip.vision.embedding_length", uint32(h))
	f.add("clip.vision.feed_forward_length", uint32(visionFF))
	f.add("clip.vision.projection_dim", uint32(TextEmbedding))
	f.add("clip.vision.attention.head_count", uint32(visionHeads))
	f.add("clip.vision.attention.layer_norm_epsilon", float32(1e-5))
	f.add("clip.vision.block_count", uint32(visionLayers))
	f.add("clip.vision.image_mean", []float32{0.5, 0.5, 0.5})
	f.add("clip.vision.image_std", []float32{0.5, 0.5, 0.5})

	// Convolution kernel: ne = [kw, kh, in channels, out channels].
	f.addTensor("v.patch_embd.weight", ggmlTypeF16,
		randn(rng, visionPatchSize*visionPatchSize*3*h, 0.05), visionPatchSize, visionPatchSize, 3, h)
	f.addTensor("v.class_embd", ggmlTypeF32, randn(rng, h, 0.1), h)
	f.addTensor("v.position_embd.weight", ggmlTypeF16, randn(rng, h*positions, 0.1), h, positions)
	f.addTensor("v.pre_ln.weight", ggmlTypeF32, ones(h), h)
	f.addTensor("v.pre_ln.bias", ggmlTypeF32, zeros(h), h)
	for l := range visionLayers {
		p := fmt.Sprintf("v.blk.%d.", l)
		for _, n := range []string{"attn_q", "attn_k", "attn_v", "attn_out"} {
			f.addTensor(p+n+".weight", ggmlTypeF16, randn(rng, h*h, 0.1), h, h)
			f.addTensor(p+n+".bias", ggmlTypeF32, zeros(h), h)
		}
		f.addTensor(p+"ln1.weight", ggmlTypeF32, ones(h), h)
		f.addTensor(p+"ln1.bias", ggmlTypeF32, zeros(h), h)
		f.addTensor(p+"ln2.weight", ggmlTypeF32, ones(h), h)
		f.addTensor(p+"ln2.bias", ggmlTypeF32, zeros(h), h)
		// clip.cpp's naming is historical: ffn_down widens, ffn_up narrows.
		f.addTensor(p+"ffn_down.weight", ggmlTypeF16, randn(rng, h*visionFF, 0.1), h, visionFF)
		f.addTensor(p+"ffn_down.bias", ggmlTypeF32, zeros(visionFF), visionFF)
		f.addTensor(p+"ffn_up.weight", ggmlTypeF16, randn(rng, visionFF*h, 0.1), visionFF, h)
		f.addTensor(p+"ffn_up.bias", ggmlTypeF32, zeros(h), h)
	}
	f.addTensor("mm.0.weight", ggmlTypeF16, randn(rng, h*projectorHidden, 0.1), h, projectorHidden)
	f.addTensor("mm.0.bias", ggmlTypeF32, zeros(projectorHidden), projectorHidden)
	f.addTensor("mm.2.weight", ggmlTypeF16, randn(rng, projectorHidden*TextEmbedding, 0.1), projectorHidden, TextEmbedding)
	f.addTensor("mm.2.bias", ggmlTypeF32, zeros(TextEmbedding), TextEmbedding)
	return f.writeTo(w)
}

func randn(rng *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * scale)
	}
	return v
}

func ones(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

func zeros(n int) []float32 { return make([]float32, n) }
