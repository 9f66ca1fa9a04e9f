// Package realollama runs the detector's Ollama-facing code against a real
// `ollama serve` (test support; production code never imports it).
//
// scripts/build_ollama.sh builds the pinned Ollama release from source into a
// cache outside the repository; FindBinary locates it. Start launches the
// server on a free loopback port with a private temporary model store, and
// CreateTinyModels registers two models this package generates at run time:
// a random-weight llama text model with a byte-level vocabulary, and the same
// model with a LLaVA-style CLIP image projector, so that the server really
// decodes and encodes images. No weights are downloaded or committed; the
// models answer gibberish, so tests assert on structure and behaviour only.
//
// StartForTest and TargetForTest wrap this for tests: they skip when no
// binary exists (or fail when $ANYANOMALY_REQUIRE_REAL_OLLAMA=1), and
// TargetForTest points the tests at a user's own server and real vision
// model instead when $ANYANOMALY_TEST_MODEL is set. See
// docs/real-ollama.md.
package realollama
