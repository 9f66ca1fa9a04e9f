package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/anyanomaly/anyanomaly/detector"
	"github.com/anyanomaly/anyanomaly/detector/cache"
	"github.com/anyanomaly/anyanomaly/detector/eval/labels"
	"github.com/anyanomaly/anyanomaly/detector/vqa"
)

// The datasets `anyanomaly eval --dataset` knows.
const (
	DatasetCShT         = "c-shtech"
	DatasetCAvenue      = "c-avenue"
	DatasetShanghaiTech = "shanghaitech"
	DatasetAvenue       = "avenue"
	DatasetGeneric      = "generic"
)

// Options are the inputs of `anyanomaly eval`, already parsed.
type Options struct {
	// Dataset is one of the Dataset… names.
	Dataset string
	// Root is the folder of test videos (frame folders or video files).
	Root string
	// Labels is a label file (generic, avenue) or the ShanghaiTech mask
	// folder (shanghaitech; default <root>/../test_frame_mask).
	Labels string
	// Runs restricts the runs (event types, multi-event names, "single",
	// "multi"); empty means all.
	Runs []string
	// Texts override the texts of the standard-VAD runs (shanghaitech,
	// avenue); default: every C-ShT / C-Ave event type.
	Texts []string
	// Ollama is the endpoint URL and Model the vision model.
	Ollama, Model string
	// Params are the declared protocol parameters.
	Params Params
	// Oracle adds the grid search tuned on the test labels.
	Oracle bool
	// Cache is the answer cache folder ("" = <out>/cache).
	Cache string
	// Out is the output folder: results.md, results.json, plots/.
	Out string
	// NoPlots skips the PNGs.
	NoPlots bool
	// LongSide is the analysis size (0 = 640) and HWAccel the decoder's.
	LongSide int
	HWAccel  string
	// Timeout bounds one LVLM question (0 = the client's default).
	Timeout time.Duration
	// Prompt selects the prompt variant.
	Prompt vqa.Variant
	// Structured asks for JSON {score, reason} answers.
	Structured bool
	// Progress draws a progress bar on the error stream.
	Progress bool
	// Concurrency is how many videos are scored at once (default 1).
	Concurrency int
	// Rescore, when set, is the scores.json of an earlier run: the report is
	// recomputed from it with the current parameters, without reading any
	// video or asking the LVLM.
	Rescore string
}

// defaultLongSide mirrors stream's default analysis size, so that the cache
// prefix names the real size.
const defaultLongSide = 640

// LoadLabels returns the label set of a dataset option.
func LoadLabels(o Options) (*labels.Set, error) {
	switch o.Dataset {
	case DatasetCShT, DatasetCAvenue:
		if len(o.Texts) > 0 {
			return nil, fmt.Errorf("--text does not apply to %s: its runs ask their own event types", o.Dataset)
		}
		if o.Dataset == DatasetCShT {
			return labels.CShT()
		}
		return labels.CAvenue()
	case DatasetShanghaiTech:
		dir := o.Labels
		if dir == "" {
			dir = filepath.Join(o.Root, "..", "test_frame_mask")
		}
		texts := o.Texts
		if len(texts) == 0 {
			s, err := labels.CShT()
			if err != nil {
				return nil, err
			}
			texts = singleTexts(s)
		}
		return labels.LoadMaskDir(dir, DatasetShanghaiTech, "anomaly", texts)
	case DatasetAvenue, DatasetGeneric:
		if o.Labels == "" {
			return nil, fmt.Errorf("--dataset %s needs --labels FILE (the generic interval format, docs/eval.md)", o.Dataset)
		}
		f, err := os.Open(o.Labels)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		s, err := labels.Parse(f, o.Labels)
		if err != nil {
			return nil, err
		}
		if o.Dataset == DatasetAvenue && len(o.Texts) == 0 {
			ave, err := labels.CAvenue()
			if err != nil {
				return nil, err
			}
			o.Texts = singleTexts(ave)
		}
		if len(o.Texts) > 0 {
			for i := range s.Runs {
				s.Runs[i].Texts = o.Texts
			}
		}
		return s, nil
	}
	return nil, fmt.Errorf("unknown dataset %q: want %s, %s, %s, %s or %s", o.Dataset,
		DatasetCShT, DatasetCAvenue, DatasetShanghaiTech, DatasetAvenue, DatasetGeneric)
}

func singleTexts(s *labels.Set) []string {
	var out []string
	for _, r := range s.Single() {
		out = append(out, r.Texts...)
	}
	return out
}

// Execute runs `anyanomaly eval`: it loads the labels, checks the model,
// scores every test video through the answer cache, writes results.md,
// results.json, scores.json and the plots under o.Out, and prints the Markdown table on
// out. Progress goes to errw.
func Execute(ctx context.Context, o Options, out, errw io.Writer, log *slog.Logger) (*Report, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if o.Out == "" {
		return nil, errors.New("--out is required")
	}
	if err := o.Params.Validate(); err != nil {
		return nil, err
	}
	if o.Rescore == "" {
		if o.Root == "" {
			return nil, errors.New("--root is required: the folder of test videos")
		}
		// Before asking the model: a mistyped folder is the likelier
		// mistake, and the cheaper one to report.
		if st, err := os.Stat(o.Root); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("--root: dataset root %s does not exist", o.Root)
		} else if err != nil {
			return nil, fmt.Errorf("--root: %w", err)
		} else if !st.IsDir() {
			return nil, fmt.Errorf("--root %s: not a folder (want the folder of test videos)", o.Root)
		}
		if o.Ollama == "" || o.Model == "" {
			return nil, errors.New("--ollama URL and --model are required")
		}
	}
	set, err := LoadLabels(o)
	if err != nil {
		return nil, err
	}
	if set, err = set.Select(o.Runs); err != nil {
		return nil, err
	}
	if o.Rescore != "" {
		if err := os.MkdirAll(o.Out, 0o755); err != nil {
			return nil, err
		}
		return rescore(o, set, out)
	}
	client, err := vqa.New(vqa.Config{URL: o.Ollama, Model: o.Model, Timeout: o.Timeout, Structured: o.Structured}, vqa.Deps{Logger: log})
	if err != nil {
		return nil, err
	}
	defer client.Close()
	if err := client.Check(ctx); err != nil {
		return nil, err
	}
	// Only now: a run that cannot start leaves no empty --out behind.
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	if o.Cache == "" {
		o.Cache = filepath.Join(o.Out, "cache")
	}
	c, err := cache.Open(o.Cache)
	if err != nil {
		return nil, err
	}
	longSide := o.LongSide
	if longSide == 0 {
		longSide = defaultLongSide
	}
	src := NewFileSource(FileSourceConfig{Root: o.Root, LongSide: longSide, HWAccel: o.HWAccel, Logger: log})
	versions := map[string]string{}
	for _, v := range set.VideoNames() {
		if versions[v], err = src.Version(v); err != nil {
			return nil, fmt.Errorf("eval %s: video %s: %w", set.Dataset, v, err)
		}
	}
	scorer, err := NewLVLMScorer(LVLMConfig{
		CachePrefix: CachePrefix(set.Dataset, o.Params.Segment, longSide),
		Prompt:      vqa.Prompt{Variant: o.Prompt},
		Versions:    versions,
	}, LVLMDeps{Ask: client, Cache: c})
	if err != nil {
		return nil, err
	}
	deps := Deps{
		Source: src,
		Scorer: scorer,
		Logger: log,
	}
	if o.Progress {
		deps.Progress = NewBar(errw, "scoring "+set.Dataset)
	}
	ev, err := New(Config{Dataset: set.Dataset, Labels: set, Params: o.Params, Oracle: o.Oracle, Model: o.Model, Concurrency: o.Concurrency}, deps)
	if err != nil {
		return nil, err
	}
	rep, err := ev.Evaluate(ctx)
	if err != nil {
		return nil, err
	}
	if err := writeOutputs(rep, o); err != nil {
		return nil, err
	}
	if err := rep.WriteMarkdown(out); err != nil {
		return nil, err
	}
	return rep, nil
}

// rescore recomputes the report from a scores.json of an earlier run: no
// video is read and no LVLM asked, so trying another σ, weights or
// smoothing takes seconds.
func rescore(o Options, set *labels.Set, out io.Writer) (*Report, error) {
	b, err := os.ReadFile(o.Rescore)
	if err != nil {
		return nil, fmt.Errorf("--rescore: %w", err)
	}
	var scores map[string]map[string]VideoScores
	if err := json.Unmarshal(b, &scores); err != nil {
		return nil, fmt.Errorf("--rescore %s: not a scores.json written by eval: %w", o.Rescore, err)
	}
	// A scoring run refuses a source whose frame count differs from the
	// labels' (scoreVideo); a rescore against edited labels must too, and
	// against labels that now ask other questions.
	models := map[string]bool{}
	for _, r := range set.Runs {
		for _, v := range r.Videos {
			vs, ok := scores[r.Name][v.Name]
			if !ok {
				continue
			}
			if v.Frames > 0 && vs.Frames > 0 && vs.Frames != v.Frames {
				return nil, fmt.Errorf("--rescore %s: run %s: video %s was scored with %d frames but the labels cover %d", o.Rescore, r.Name, v.Name, vs.Frames, v.Frames)
			}
			if vs.Texts != nil && !slices.Equal(vs.Texts, r.Texts) {
				return nil, fmt.Errorf("--rescore %s: run %s: video %s was scored with the texts %q but the labels now ask %q: score again without --rescore", o.Rescore, r.Name, v.Name, vs.Texts, r.Texts)
			}
			if vs.Model != "" {
				models[vs.Model] = true
			}
		}
	}
	model := o.Model
	if model == "" {
		// The scores' own model names the report; scores from several
		// models (merged files) name none rather than one of them.
		if len(models) == 1 {
			for m := range models {
				model = m
			}
		}
	} else if len(models) > 0 && (len(models) > 1 || !models[model]) {
		return nil, fmt.Errorf("--rescore %s: --model %s, but the scores were made with %s", o.Rescore, model, strings.Join(slices.Sorted(maps.Keys(models)), ", "))
	}
	rep, err := Compute(Config{Dataset: set.Dataset, Labels: set, Params: o.Params, Oracle: o.Oracle, Model: model}, scores)
	if err != nil {
		return nil, fmt.Errorf("--rescore %s: %w", o.Rescore, err)
	}
	if err := writeOutputs(rep, o); err != nil {
		return nil, err
	}
	return rep, rep.WriteMarkdown(out)
}

func writeOutputs(rep *Report, o Options) error {
	var md, js, seg strings.Builder
	if err := rep.WriteMarkdown(&md); err != nil {
		return err
	}
	if err := rep.WriteJSON(&js); err != nil {
		return err
	}
	if err := rep.WriteSegments(&seg); err != nil {
		return err
	}
	for name, body := range map[string]string{"results.md": md.String(), "results.json": js.String(), "scores.json": seg.String()} {
		if err := os.WriteFile(filepath.Join(o.Out, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	if o.NoPlots {
		return nil
	}
	return rep.WritePlots(filepath.Join(o.Out, "plots"))
}

// WeightsFlag parses the --weights value (detector.ParseWeights).
func WeightsFlag(s string) (detector.Weights, error) { return detector.ParseWeights(s) }
