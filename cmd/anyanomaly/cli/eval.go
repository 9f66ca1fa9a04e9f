package cli

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/anyanomaly/anyanomaly/detector/eval"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// newEvalCmd builds `anyanomaly eval`: the benchmark protocol of method §9
// (the logic lives in detector/eval; docs/eval.md is the guide).
func newEvalCmd(s IO) *cobra.Command {
	var (
		o                        eval.Options
		weights, smooth, variant string
		sigma                    float64
		segmentN                 int
		verbose                  bool
		timeout                  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "eval --dataset c-shtech|c-avenue|shanghaitech|avenue|generic --root DIR --model M [flags]",
		Short: "Run the benchmark protocol",
		Long: "Score a labelled test set with the context-aware VQA method and report frame-level ROC-AUC per event type " +
			"and per context (key frame, +PC, +TC, fused), in the layout of the AnyAnomaly paper's Tables 1-2. " +
			"σ and the fusion weights are fixed and printed with the results; --oracle-search adds the reference " +
			"implementation's grid search, labelled as tuned on the test labels. Answers are cached, so an interrupted " +
			"run resumes and a rerun makes no LVLM calls. See docs/eval.md.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w, err := eval.WeightsFlag(weights)
			if err != nil {
				return fmt.Errorf("eval: --weights: %w", err)
			}
			if o.Prompt, err = vqa.ParseVariant(variant); err != nil {
				return fmt.Errorf("eval: --prompt-variant: %w", err)
			}
			o.Params = eval.Params{Segment: segmentN, Sigma: sigma, Weights: w, Smooth: eval.Smooth(smooth)}
			if err := o.Params.Validate(); err != nil {
				return fmt.Errorf("eval: %w", err)
			}
			o.Ollama = ollamaURL(o.Ollama)
			o.Timeout = timeout
			if f, ok := s.Err.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				o.Progress = true
			}
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelInfo
			}
			log := slog.New(slog.NewTextHandler(s.Err, &slog.HandlerOptions{Level: level}))
			rep, err := eval.Execute(cmd.Context(), o, s.Out, s.Err, log)
			if err != nil {
				return fmt.Errorf("eval: %w", err)
			}
			fmt.Fprintf(s.Err, "eval: %d runs, %d LVLM calls, %d answers from cache, %s; results in %s\n",
				len(rep.Runs), rep.LVLMCalls, rep.CacheHits, rep.Elapsed.Round(time.Second), o.Out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Dataset, "dataset", "", "c-shtech, c-avenue (embedded C-VAD labels), shanghaitech, avenue or generic")
	f.StringVar(&o.Root, "root", "", "folder with one frame folder (or video file) per test video")
	f.StringVar(&o.Labels, "labels", "", "labels: generic JSON file (avenue, generic) or ShanghaiTech test_frame_mask folder (default <root>/../test_frame_mask)")
	f.StringArrayVar(&o.Runs, "run", nil, "evaluate only this run (event type, multi-event name, \"single\" or \"multi\"; repeatable)")
	f.StringArrayVar(&o.Texts, "text", nil, "texts for the standard-VAD datasets (repeatable; default every C-ShT / C-Ave event type)")
	f.StringVar(&o.Ollama, "ollama", "", "Ollama URL (default $OLLAMA_HOST or http://127.0.0.1:11434)")
	f.StringVar(&o.Model, "model", "", "Ollama vision model")
	f.Float64Var(&sigma, "sigma", eval.DefaultSigma, "Gaussian smoothing σ in frames (0 = none)")
	f.StringVar(&weights, "weights", "0.5,0.3,0.2", "fusion weights α,β,γ for key frame, position and temporal context (sum 1)")
	f.IntVar(&segmentN, "segment", 24, "frames per segment (N)")
	f.StringVar(&smooth, "smooth", string(eval.SmoothConcat), "where to smooth: concat (over all videos of a run, as the reference) or per-video")
	f.BoolVar(&o.Oracle, "oracle-search", false, "also report σ and weights grid-searched on the test labels (upper bounds, labelled as such)")
	f.StringVar(&o.Cache, "cache", "", "answer cache directory (default <out>/cache)")
	f.StringVar(&o.Out, "out", "eval-out", "output folder: results.md, results.json, plots/")
	f.BoolVar(&o.NoPlots, "no-plots", false, "do not write one PNG per video")
	f.IntVar(&o.LongSide, "long-side", 0, "analysis size, long side in pixels (0 = 640)")
	f.StringVar(&o.HWAccel, "hwaccel", "", "hardware decoding for video files: cuda, vaapi or auto")
	f.DurationVar(&timeout, "timeout", 2*time.Minute, "limit per LVLM question, retries included")
	f.BoolVar(&o.Structured, "structured", false, "ask for JSON {score, reason} answers (Ollama structured outputs)")
	f.StringVar(&variant, "prompt-variant", "both", "prompt variant: simple, reasoning, consideration or both")
	f.IntVar(&o.Concurrency, "concurrency", 1, "videos scored at once (match OLLAMA_NUM_PARALLEL)")
	f.StringVar(&o.Rescore, "rescore", "", "recompute the tables from the scores.json of an earlier run (no video, no LVLM): try another --sigma, --weights or --smooth")
	f.BoolVar(&verbose, "verbose", false, "log one line per scored video")
	return cmd
}
