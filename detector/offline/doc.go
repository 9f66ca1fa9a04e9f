// Package offline scores a video file or a folder of frames with the
// context-aware VQA method, segment by segment, the way `anyanomaly detect`
// does: decode (stream.ReadFile), score every segment (detector.Scorer)
// through the on-disk answer cache, spread each segment's scores over its
// frames, and write JSON and a PNG plot.
package offline
