// Package labels holds the ground truth the benchmark protocol scores
// against: the embedded C-ShT and C-Ave labels of the AnyAnomaly paper, a
// reader for ShanghaiTech's per-video frame masks (.npy) and the generic
// per-video interval format for any other dataset (docs/eval.md).
//
// A label set is a list of runs. A run is one evaluation of method §9: a set
// of texts asked about every video of the run, one micro AUC over the
// concatenation of the run's videos.
package labels

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Kind says whether an event type is defined by what is seen in one frame
// (appearance) or only by how it moves across frames (action). The paper's
// tables average the two groups separately.
type Kind string

// The kinds of event type.
const (
	KindAppearance Kind = "appearance"
	KindAction     Kind = "action"
	// KindMixed marks runs that are neither (multi-event runs, standard VAD).
	KindMixed Kind = ""
)

// Interval is a half-open range [Start, End) of 0-based frame indices.
type Interval struct {
	Start int
	End   int
}

// Video is one test video's labels for one run.
type Video struct {
	// Name identifies the video inside the dataset root (folder or file
	// name without extension).
	Name string
	// Frames is the labelled frame count; 0 means "every frame the source
	// delivers" (generic format only).
	Frames int
	// Anomalies are the frame intervals where the run's event is present,
	// sorted and non-overlapping.
	Anomalies []Interval
}

// Mask returns n per-frame labels, true inside an anomaly interval.
// Intervals reaching past n are cut.
func (v Video) Mask(n int) []bool {
	m := make([]bool, n)
	for _, iv := range v.Anomalies {
		for i := max(iv.Start, 0); i < min(iv.End, n); i++ {
			m[i] = true
		}
	}
	return m
}

// Positives counts the labelled anomalous frames.
func (v Video) Positives() int {
	p := 0
	for _, iv := range v.Anomalies {
		p += iv.End - iv.Start
	}
	return p
}

// Run is one evaluation run: its texts and its videos.
type Run struct {
	// Name is the event type ("falling") or the multi-event run's name
	// ("jumping-falling-pickup").
	Name string
	// Texts are what the LVLM is asked about (max over texts per context).
	Texts []string
	// Multi is true for multi-event runs.
	Multi bool
	// Kind groups single-type runs for the action/appearance averages.
	Kind Kind
	// Videos are the run's test videos, sorted by name.
	Videos []Video
}

// Frames sums the labelled frame counts of the run's videos.
func (r Run) Frames() int {
	n := 0
	for _, v := range r.Videos {
		n += v.Frames
	}
	return n
}

// Positives sums the anomalous frames of the run's videos.
func (r Run) Positives() int {
	n := 0
	for _, v := range r.Videos {
		n += v.Positives()
	}
	return n
}

// Video returns the run's labels for the named video.
func (r Run) Video(name string) (Video, bool) {
	i := slices.IndexFunc(r.Videos, func(v Video) bool { return v.Name == name })
	if i < 0 {
		return Video{}, false
	}
	return r.Videos[i], true
}

// Set is a dataset's label set.
type Set struct {
	// Dataset names the dataset ("c-shtech").
	Dataset string
	// Source says where the labels come from (provenance and licence).
	Source string
	// Runs are the single-type runs sorted by name, then the multi-event
	// runs sorted by name.
	Runs []Run
}

// Single returns the single-type runs.
func (s *Set) Single() []Run {
	var out []Run
	for _, r := range s.Runs {
		if !r.Multi {
			out = append(out, r)
		}
	}
	return out
}

// Multi returns the multi-event runs.
func (s *Set) Multi() []Run {
	var out []Run
	for _, r := range s.Runs {
		if r.Multi {
			out = append(out, r)
		}
	}
	return out
}

// Run returns the named run.
func (s *Set) Run(name string) (Run, bool) {
	i := slices.IndexFunc(s.Runs, func(r Run) bool { return r.Name == name })
	if i < 0 {
		return Run{}, false
	}
	return s.Runs[i], true
}

// Select keeps only the named runs, in the set's order; names may also be
// "single" or "multi" for every run of that group. An unknown name is an
// error naming it.
func (s *Set) Select(names []string) (*Set, error) {
	if len(names) == 0 {
		return s, nil
	}
	keep := map[string]bool{}
	for _, n := range names {
		switch n {
		case "single", "multi":
			for _, r := range s.Runs {
				if r.Multi == (n == "multi") {
					keep[r.Name] = true
				}
			}
		default:
			if _, ok := s.Run(n); !ok {
				return nil, fmt.Errorf("labels %s: no run %q (have %s)", s.Dataset, n, strings.Join(s.runNames(), ", "))
			}
			keep[n] = true
		}
	}
	out := &Set{Dataset: s.Dataset, Source: s.Source}
	for _, r := range s.Runs {
		if keep[r.Name] {
			out.Runs = append(out.Runs, r)
		}
	}
	return out, nil
}

// VideoNames returns the sorted union of the runs' video names.
func (s *Set) VideoNames() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range s.Runs {
		for _, v := range r.Videos {
			if !seen[v.Name] {
				seen[v.Name] = true
				out = append(out, v.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (s *Set) runNames() []string {
	out := make([]string, len(s.Runs))
	for i, r := range s.Runs {
		out[i] = r.Name
	}
	return out
}

// validate checks what every loader must guarantee: sane names, intervals
// inside the labelled frames, one frame count per video across runs.
func (s *Set) validate() error {
	if len(s.Runs) == 0 {
		return fmt.Errorf("labels %s: no runs", s.Dataset)
	}
	frames := map[string]int{}
	names := map[string]bool{}
	for ri := range s.Runs {
		r := &s.Runs[ri]
		if r.Name == "" {
			return fmt.Errorf("labels %s: run with an empty name", s.Dataset)
		}
		if names[r.Name] {
			return fmt.Errorf("labels %s: run %q appears twice", s.Dataset, r.Name)
		}
		names[r.Name] = true
		if len(r.Texts) == 0 {
			return fmt.Errorf("labels %s: run %q has no texts", s.Dataset, r.Name)
		}
		for _, t := range r.Texts {
			if strings.TrimSpace(t) == "" {
				return fmt.Errorf("labels %s: run %q has an empty text", s.Dataset, r.Name)
			}
		}
		if len(r.Videos) == 0 {
			return fmt.Errorf("labels %s: run %q has no videos", s.Dataset, r.Name)
		}
		sort.Slice(r.Videos, func(i, j int) bool { return r.Videos[i].Name < r.Videos[j].Name })
		for vi := range r.Videos {
			v := &r.Videos[vi]
			if err := checkVideoName(v.Name); err != nil {
				return fmt.Errorf("labels %s: run %q: %w", s.Dataset, r.Name, err)
			}
			if vi > 0 && r.Videos[vi-1].Name == v.Name {
				return fmt.Errorf("labels %s: run %q: video %q appears twice", s.Dataset, r.Name, v.Name)
			}
			if v.Frames < 0 {
				return fmt.Errorf("labels %s: run %q: video %q: negative frame count %d", s.Dataset, r.Name, v.Name, v.Frames)
			}
			if f, ok := frames[v.Name]; ok && f != v.Frames {
				return fmt.Errorf("labels %s: video %q has %d frames in one run and %d in run %q", s.Dataset, v.Name, f, v.Frames, r.Name)
			}
			frames[v.Name] = v.Frames
			sort.Slice(v.Anomalies, func(i, j int) bool { return v.Anomalies[i].Start < v.Anomalies[j].Start })
			for ai, iv := range v.Anomalies {
				if iv.Start < 0 || iv.End <= iv.Start || (v.Frames > 0 && iv.End > v.Frames) {
					return fmt.Errorf("labels %s: run %q: video %q: interval [%d, %d) outside [0, %d) or empty", s.Dataset, r.Name, v.Name, iv.Start, iv.End, v.Frames)
				}
				if ai > 0 && iv.Start < v.Anomalies[ai-1].End {
					return fmt.Errorf("labels %s: run %q: video %q: intervals [%d, %d) and [%d, %d) overlap", s.Dataset, r.Name, v.Name,
						v.Anomalies[ai-1].Start, v.Anomalies[ai-1].End, iv.Start, iv.End)
				}
			}
		}
	}
	sort.SliceStable(s.Runs, func(i, j int) bool {
		if s.Runs[i].Multi != s.Runs[j].Multi {
			return !s.Runs[i].Multi
		}
		return s.Runs[i].Name < s.Runs[j].Name
	})
	return nil
}

// checkVideoName refuses names that would escape the dataset root when used
// as a path element.
func checkVideoName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("video with an empty name")
	case name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00"):
		return fmt.Errorf("video name %q is not a plain file name", name)
	}
	return nil
}
