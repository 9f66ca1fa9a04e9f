// Package ollamatest is an in-process HTTP server that speaks the parts of
// Ollama's REST protocol the detector uses (/api/chat streamed and not,
// /api/show, /api/tags, /api/version, HEAD /) and answers questions by
// looking at the image it receives. It is test support: production code
// never imports it.
//
// The default perception scores the visible fraction of pure-red pixels
// (R>150, G<100, B<100), the colour of the anomaly object in the scenes of
// stream/streamtest, so that the position context (which darkens irrelevant
// areas) and the temporal context (which enlarges a crop) change its answers
// measurably. Latency, a concurrency limit that answers 503 like Ollama's
// full queue, and injected faults are configurable.
package ollamatest
