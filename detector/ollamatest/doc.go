// Package ollamatest is an in-process HTTP server that speaks the parts of
// Ollama's REST protocol the detector uses (/api/chat streamed and not,
// /api/show, /api/tags, /api/version, HEAD /) and answers questions by
// looking at the image it receives. It is test support: production code
// never imports it.
//
// The default perception scores the visible fraction of red pixels (by
// hue: R more than twice G and B, and not near black, so a dimmed red
// still counts), the colour of the anomaly object in the scenes of
// stream/streamtest, so that the position context (which darkens irrelevant
// areas) and the temporal context (which enlarges a crop) change its answers
// measurably. Latency, injected faults and Ollama v0.6.5's queueing are
// configurable: Concurrency slots (OLLAMA_NUM_PARALLEL) and an intake of
// Queue places (OLLAMA_MAX_QUEUE) in front of a one-at-a-time scheduler, so
// that, as on the real server, only bursts get 503 and requests arriving
// spaced out wait for a slot however many there are. StrictQueue departs
// from Ollama on purpose, refusing everything beyond Concurrency+Queue at
// once, for tests that need busy answers on demand.
package ollamatest
