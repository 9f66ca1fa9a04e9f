package cli

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/offline"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// newDetectCmd builds `anyanomaly detect`: offline scoring of one video file
// or frames folder (the logic lives in detector/offline).
func newDetectCmd(s IO) *cobra.Command {
	var (
		video, frames, ollama, model, weights, out, plot, cacheDir, variant, hwaccel string
		texts                                                                        []string
		segmentN, stride, longSide, concurrency                                      int
		sampleFPS, folderFPS                                                         float64
		timeout                                                                      time.Duration
		structured, batch                                                            bool
	)
	cmd := &cobra.Command{
		Use:   "detect (--video FILE | --frames DIR) --text TEXT [--text TEXT ...]",
		Short: "Score a video file offline",
		Long: "Score a video file or a folder of numbered JPEG frames with the context-aware VQA method " +
			"and write per-segment and per-frame scores as JSON (stdout unless --out), optionally a PNG plot. " +
			"Answers are cached on disk with --cache, so an interrupted run resumes and a rerun makes no LVLM calls. " +
			"See docs/detector.md.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := video
			switch {
			case video != "" && frames != "":
				return errors.New("detect: give either --video or --frames, not both")
			case frames != "":
				path = frames
			case video == "":
				return errors.New("detect: --video FILE or --frames DIR is required")
			}
			w, err := detector.ParseWeights(weights)
			if err != nil {
				return fmt.Errorf("detect: --weights: %w", err)
			}
			v, err := vqa.ParseVariant(variant)
			if err != nil {
				return fmt.Errorf("detect: --prompt-variant: %w", err)
			}
			cfg := offline.Config{
				Path: path, Texts: texts, URL: ollamaURL(ollama), Model: model, Concurrency: concurrency, Timeout: timeout,
				Structured: structured, Batch: batch, Prompt: vqa.Prompt{Variant: v}, Weights: w,
				SegmentFrames: segmentN, Stride: stride, SampleFPS: sampleFPS, LongSide: longSide, FolderFPS: folderFPS,
				HWAccel: hwaccel, CacheDir: cacheDir,
			}
			var deps offline.Deps
			if f, ok := s.Err.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				bar := progressbar.NewOptions(-1, progressbar.OptionSetWriter(s.Err), progressbar.OptionSetDescription("scoring segments"),
					progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
				deps.Progress = func(n int) { _ = bar.Set(n) }
				defer func() { _ = bar.Finish() }()
			}
			res, err := offline.Run(cmd.Context(), cfg, deps)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := res.WriteJSON(&buf); err != nil {
				return fmt.Errorf("detect: %w", err)
			}
			if out == "" || out == "-" {
				if _, err := s.Out.Write(buf.Bytes()); err != nil {
					return err
				}
			} else if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return fmt.Errorf("detect: write %s: %w", out, err)
			}
			if plot != "" {
				var pb bytes.Buffer
				if err := res.WritePlot(&pb); err != nil {
					return fmt.Errorf("detect: plot: %w", err)
				}
				if err := os.WriteFile(plot, pb.Bytes(), 0o644); err != nil {
					return fmt.Errorf("detect: write %s: %w", plot, err)
				}
			}
			fmt.Fprintf(s.Err, "detect: %d segments, %d frames scored, %d LVLM calls, %d answers from cache\n",
				len(res.Segments), res.FramesScored, res.LVLMCalls, res.CacheHits)
			if len(res.Segments) == 0 {
				// Empty scores would otherwise pass for "nothing anomalous".
				hint := "lower --segment"
				if sampleFPS > 0 {
					hint += " or raise --sample-fps (0 analyses every frame)"
				}
				fmt.Fprintf(s.Err, "detect: warning: nothing scored: %s has %d frames, fewer than one segment of %d analysed frames; %s\n",
					path, res.Frames, res.SegmentFrames, hint)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&video, "video", "", "video file to score (mp4, mkv, raw H.264/H.265, ...)")
	f.StringVar(&frames, "frames", "", "folder of numbered JPEG frames to score")
	f.StringArrayVar(&texts, "text", nil, "event to look for (repeatable; the score is the maximum over texts)")
	f.StringVar(&ollama, "ollama", "", "Ollama URL (default $OLLAMA_HOST or http://127.0.0.1:11434)")
	f.StringVar(&model, "model", "qwen2.5vl:7b", "Ollama vision model")
	f.IntVar(&segmentN, "segment", 24, "frames per segment (N)")
	f.IntVar(&stride, "stride", 0, "analysed frames between segment starts (default N: non-overlapping)")
	f.Float64Var(&sampleFPS, "sample-fps", 0, "analysis frame rate (0 = every frame)")
	f.IntVar(&longSide, "long-side", 0, "analysis size, long side in pixels (0 = 640)")
	f.Float64Var(&folderFPS, "fps", 0, "frame rate of a --frames folder (0 = 25)")
	f.StringVar(&weights, "weights", "0.5,0.3,0.2", "fusion weights α,β,γ for key frame, position and temporal context (sum 1)")
	f.StringVar(&out, "out", "", "write the JSON scores to this file (default stdout)")
	f.StringVar(&plot, "plot", "", "write a PNG plot of the scores over time to this file")
	f.StringVar(&cacheDir, "cache", "", "answer cache directory (resume interrupted runs, rerun without LVLM calls)")
	f.IntVar(&concurrency, "concurrency", 1, "segments scored at once (match OLLAMA_NUM_PARALLEL)")
	f.DurationVar(&timeout, "timeout", 2*time.Minute, "limit per LVLM question, retries included")
	f.BoolVar(&structured, "structured", false, "ask for JSON {score, reason} answers (Ollama structured outputs)")
	f.BoolVar(&batch, "batch", false, "ask about all texts in one call per context")
	f.StringVar(&variant, "prompt-variant", "both", "prompt variant: simple, reasoning, consideration or both")
	f.StringVar(&hwaccel, "hwaccel", "", "hardware decoding: none, cuda, vaapi or auto")
	return cmd
}

// ollamaURL picks the Ollama URL: the flag, else OLLAMA_HOST (which, like
// Ollama's own CLI, may omit the scheme and port), else the default.
func ollamaURL(flag string) string {
	s := flag
	if s == "" {
		s = os.Getenv("OLLAMA_HOST")
	}
	if s == "" {
		return "http://127.0.0.1:11434"
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s // vqa.New reports it, password masked
	}
	if u.Port() == "" && u.Scheme == "http" {
		u.Host = net.JoinHostPort(u.Hostname(), "11434")
	}
	return u.String()
}
