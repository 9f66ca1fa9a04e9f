package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/anyanomaly/anyanomaly/detector/eval/labels"
)

// PerVariant holds one value per context variant, in the layout of the
// paper's tables.
type PerVariant[T any] struct {
	Frame  T `json:"frame"`
	PlusPC T `json:"frame+pc"`
	PlusTC T `json:"frame+tc"`
	Fused  T `json:"fused"`
}

func (vs *PerVariant[T]) set(v Variant, x T) { *vs.ptr(v) = x }

// Get returns the value of variant v.
func (vs PerVariant[T]) Get(v Variant) T { return *vs.ptr(v) }

func (vs *PerVariant[T]) ptr(v Variant) *T {
	return [...]*T{&vs.Frame, &vs.PlusPC, &vs.PlusTC, &vs.Fused}[v]
}

// VariantScores are a run's scores per context variant.
type VariantScores = PerVariant[Score]

// VariantAUCs are averaged micro AUCs per context variant.
type VariantAUCs = PerVariant[float64]

// RunResult is one run's line of the table.
type RunResult struct {
	// Run is the event type or multi-event run name.
	Run string `json:"run"`
	// Texts are what the LVLM was asked about.
	Texts []string `json:"texts"`
	// Kind is the run's action/appearance group ("" for mixed).
	Kind labels.Kind `json:"kind,omitempty"`
	// Multi marks multi-event runs (not in the averages).
	Multi bool `json:"multi,omitempty"`
	// Videos, Frames and Positives count the run's videos and its frames
	// after truncation to whole segments, all and anomalous.
	Videos    int `json:"videos"`
	Frames    int `json:"frames"`
	Positives int `json:"anomalous_frames"`
	// Undefined, when set, says why the run has no AUC (its labels hold one
	// class only); Scores are then empty.
	Undefined string `json:"undefined,omitempty"`
	// Scores use the declared parameters.
	Scores VariantScores `json:"scores"`
	// Oracle uses the σ and weights that maximise each variant's micro AUC
	// on this run's own test labels (--oracle-search): upper bounds.
	Oracle *VariantScores `json:"tuned_on_test_labels,omitempty"`
}

// Average is one averaged line of the table.
type Average struct {
	// Group is "action", "appearance" or "overall".
	Group string `json:"group"`
	// Runs is how many single-type runs were averaged.
	Runs int `json:"runs"`
	// Micro are the mean micro AUCs.
	Micro VariantAUCs `json:"micro_auc"`
}

// Report is the outcome of an evaluation.
type Report struct {
	Dataset      string `json:"dataset"`
	LabelsSource string `json:"labels_source,omitempty"`
	Model        string `json:"model,omitempty"`
	// Params are the declared parameters of Runs[].Scores and Averages.
	Params   Params      `json:"params"`
	Runs     []RunResult `json:"runs"`
	Averages []Average   `json:"averages"`
	// OracleAverages average the tuned-on-test-labels scores.
	OracleAverages []Average `json:"averages_tuned_on_test_labels,omitempty"`
	// LVLMCalls counts questions actually sent to the LVLM in this run,
	// CacheHits those answered from the answer cache.
	LVLMCalls uint64        `json:"lvlm_calls"`
	CacheHits uint64        `json:"cache_hits"`
	Elapsed   time.Duration `json:"elapsed_ns"`

	// Segments are the per-segment context scores behind every number:
	// run → video → scores (written to scores.json, not results.json).
	Segments map[string]map[string]VideoScores `json:"-"`

	curves map[string]*runCurves
}

// runCurves keep what the plots need.
type runCurves struct {
	series *series
	curves [numVariants][]float64
}

// Run returns the named run's result.
func (r *Report) Run(name string) (RunResult, bool) {
	for _, x := range r.Runs {
		if x.Run == name {
			return x, true
		}
	}
	return RunResult{}, false
}

// Average returns the named average ("action", "appearance", "overall").
func (r *Report) Average(group string) (Average, bool) {
	for _, a := range r.Averages {
		if a.Group == group {
			return a, true
		}
	}
	return Average{}, false
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteSegments writes the per-segment context scores as JSON (run → video
// → frames and segment scores), enough to recompute every number offline.
func (r *Report) WriteSegments(w io.Writer) error {
	return json.NewEncoder(w).Encode(r.Segments)
}

func pct(x float64) string { return fmt.Sprintf("%.2f", 100*x) }

func thousands(n int) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Describe is the one-line statement of the parameters printed above every
// table.
func (p Params) Describe() string {
	smooth := "over the concatenation of the run's videos"
	if p.Smooth == SmoothPerVideo {
		smooth = "per video"
	}
	return fmt.Sprintf("segment N = %d; Gaussian σ = %g frames, %s; weights α, β, γ = %g, %g, %g; all fixed and declared before scoring",
		p.Segment, p.Sigma, smooth, p.Weights.Alpha, p.Weights.Beta, p.Weights.Gamma)
}

// WriteMarkdown writes the tables in the layout of the paper's Tables 1–2:
// one line per event type with the four context variants, the action and
// appearance averages and the overall mean; multi-event runs apart; and,
// when the oracle search ran, its numbers in a separate table labelled as
// tuned on the test labels.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## AnyAnomaly evaluation: %s\n\n", r.Dataset)
	if r.Model != "" {
		fmt.Fprintf(&b, "Model `%s`. ", r.Model)
	}
	fmt.Fprintf(&b, "%s. Frame-level micro ROC-AUC in %%; \"fused macro\" is the mean per-video AUC over videos that contain the event.\n\n", r.Params.Describe())
	header := "| Event type | Kind | Videos | Frames | Anomalous | frame | +PC | +TC | fused | fused macro |\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n"
	line := func(x RunResult) {
		kind := string(x.Kind)
		if kind == "" {
			kind = "–"
		}
		if x.Undefined != "" {
			fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | | | | |\n", x.Run, kind, x.Videos, thousands(x.Frames), thousands(x.Positives), x.Undefined)
			return
		}
		macro := "–"
		if m := x.Scores.Fused.Macro; m != nil {
			macro = fmt.Sprintf("%s (%d)", pct(*m), x.Scores.Fused.MacroVideos)
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", x.Run, kind, x.Videos, thousands(x.Frames), thousands(x.Positives),
			pct(x.Scores.Frame.Micro), pct(x.Scores.PlusPC.Micro), pct(x.Scores.PlusTC.Micro), pct(x.Scores.Fused.Micro), macro)
	}
	avgLine := func(a Average, label string) {
		fmt.Fprintf(&b, "| **%s** (%d types) | | | | | %s | %s | %s | %s | |\n", label, a.Runs,
			pct(a.Micro.Frame), pct(a.Micro.PlusPC), pct(a.Micro.PlusTC), pct(a.Micro.Fused))
	}
	single, multi := r.split()
	if len(single) > 0 {
		b.WriteString(header)
		for _, x := range single {
			line(x)
		}
		for _, a := range r.Averages {
			avgLine(a, a.Group+" average")
		}
		b.WriteString("\n")
	}
	if len(multi) > 0 {
		b.WriteString("### Multi-event runs (all texts of the run asked; not in the averages)\n\n")
		b.WriteString(header)
		for _, x := range multi {
			line(x)
		}
		b.WriteString("\n")
	}
	if r.OracleAverages != nil || slices.ContainsFunc(r.Runs, func(x RunResult) bool { return x.Oracle != nil }) {
		b.WriteString("### Tuned on test labels (`--oracle-search`): upper bounds, NOT comparable with the table above\n\n")
		b.WriteString("Every number below is tuned on test labels: for each run and variant, σ ∈ {1..99} and weights in steps of 0.1 summing to 1 were chosen to maximise that very AUC, as the reference implementation does.\n\n")
		b.WriteString("| Event type (tuned on test labels) | frame | +PC | +TC | fused |\n|---|--:|--:|--:|--:|\n")
		for _, x := range append(append([]RunResult{}, single...), multi...) {
			if x.Oracle == nil {
				continue // undefined run
			}
			cell := func(v Variant) string {
				s := x.Oracle.Get(v)
				return fmt.Sprintf("%s (σ=%g; %g, %g, %g)", pct(s.Micro), s.Sigma, s.Weights.Alpha, s.Weights.Beta, s.Weights.Gamma)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", x.Run, cell(FrameOnly), cell(PlusPC), cell(PlusTC), cell(Fused))
		}
		for _, a := range r.OracleAverages {
			avgLine5 := fmt.Sprintf("| **%s average** (%d types, tuned on test labels) | %s | %s | %s | %s |\n", a.Group, a.Runs,
				pct(a.Micro.Frame), pct(a.Micro.PlusPC), pct(a.Micro.PlusTC), pct(a.Micro.Fused))
			b.WriteString(avgLine5)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "LVLM calls: %d; answers from the cache: %d.\n", r.LVLMCalls, r.CacheHits)
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) split() (single, multi []RunResult) {
	for _, x := range r.Runs {
		if x.Multi {
			multi = append(multi, x)
		} else {
			single = append(single, x)
		}
	}
	return single, multi
}
