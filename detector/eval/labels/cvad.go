package labels

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

//go:embed data/c-shtech.json data/c-avenue.json
var embedded embed.FS

// defaultKinds is this project's reading of the paper's action/appearance
// split of the C-ShT and C-Ave event types: an appearance type can be told
// from one frame (an object is there), an action type only from motion.
var defaultKinds = map[string]Kind{
	"bicycle":       KindAppearance,
	"car":           KindAppearance,
	"hand_truck":    KindAppearance,
	"motorcycle":    KindAppearance,
	"skateboarding": KindAppearance,
	"too_close":     KindAppearance,
	"dancing":       KindAction,
	"falling":       KindAction,
	"fighting":      KindAction,
	"jumping":       KindAction,
	"loitering":     KindAction,
	"running":       KindAction,
	"throwing":      KindAction,
}

// CShT returns the embedded C-ShT labels (ShanghaiTech test set).
func CShT() (*Set, error) { return loadEmbedded("data/c-shtech.json", "c-shtech") }

// CAvenue returns the embedded C-Ave labels (CUHK Avenue test set).
func CAvenue() (*Set, error) { return loadEmbedded("data/c-avenue.json", "c-avenue") }

func loadEmbedded(path, name string) (*Set, error) {
	b, err := embedded.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("labels %s: %w", name, err)
	}
	return Parse(bytes.NewReader(b), name)
}

// fileFormat is the JSON layout shared by the embedded C-VAD labels and the
// generic format (docs/eval.md).
type fileFormat struct {
	Dataset  string                 `json:"dataset"`
	Format   string                 `json:"format"`
	Source   string                 `json:"source"`
	Single   map[string][]fileVideo `json:"single"`
	Multiple map[string][]fileVideo `json:"multiple"`
	Texts    map[string][]string    `json:"texts"`
	Kinds    map[string]Kind        `json:"kinds"`
}

type fileVideo struct {
	Video     string  `json:"video"`
	Frames    int     `json:"frames"`
	Anomalies [][]int `json:"anomalies"`
}

// maxLabelBytes bounds what Parse reads: the C-ShT file is under 100 kB.
const maxLabelBytes = 64 << 20

// Parse reads a label file in the C-VAD / generic JSON format. name is used
// in errors and as the dataset name when the file does not give one.
//
// Runs under "single" get the texts [type with "_" read as " "]; runs under
// "multiple" split their name on "-". The optional "texts" object overrides
// the texts per run, the optional "kinds" object the action/appearance kind
// per single-type run.
func Parse(r io.Reader, name string) (*Set, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxLabelBytes+1))
	if err != nil {
		return nil, fmt.Errorf("labels %s: read: %w", name, err)
	}
	if len(b) > maxLabelBytes {
		return nil, fmt.Errorf("labels %s: file larger than %d bytes", name, maxLabelBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f fileFormat
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("labels %s: decode JSON: %w", name, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("labels %s: trailing data after the JSON object", name)
	}
	if err := duplicateKey(b); err != nil {
		return nil, fmt.Errorf("labels %s: %w", name, err)
	}
	s := &Set{Dataset: f.Dataset, Source: f.Source}
	if s.Dataset == "" {
		s.Dataset = name
	}
	for run := range f.Texts {
		if _, ok := f.Single[run]; !ok {
			if _, ok := f.Multiple[run]; !ok {
				return nil, fmt.Errorf("labels %s: \"texts\" names run %q, which is not in \"single\" or \"multiple\"", name, run)
			}
		}
	}
	for run, k := range f.Kinds {
		if _, ok := f.Single[run]; !ok {
			return nil, fmt.Errorf("labels %s: \"kinds\" names run %q, which is not in \"single\"", name, run)
		}
		if k != KindAction && k != KindAppearance {
			return nil, fmt.Errorf("labels %s: run %q: kind %q is neither %q nor %q", name, run, k, KindAction, KindAppearance)
		}
	}
	for _, group := range []struct {
		runs  map[string][]fileVideo
		multi bool
	}{{f.Single, false}, {f.Multiple, true}} {
		for runName, vids := range group.runs {
			if _, dup := f.Single[runName]; dup && group.multi {
				return nil, fmt.Errorf("labels %s: run %q is both single and multiple", name, runName)
			}
			r := Run{Name: runName, Multi: group.multi, Texts: defaultTexts(runName, group.multi)}
			if t, ok := f.Texts[runName]; ok {
				r.Texts = t
			}
			if !group.multi {
				r.Kind = defaultKinds[runName]
				if k, ok := f.Kinds[runName]; ok {
					r.Kind = k
				}
			}
			for _, fv := range vids {
				v := Video{Name: fv.Video, Frames: fv.Frames}
				for _, iv := range fv.Anomalies {
					if len(iv) != 2 {
						return nil, fmt.Errorf("labels %s: run %q: video %q: interval %v is not [start, end]", name, runName, fv.Video, iv)
					}
					v.Anomalies = append(v.Anomalies, Interval{Start: iv[0], End: iv[1]})
				}
				r.Videos = append(r.Videos, v)
			}
			s.Runs = append(s.Runs, r)
		}
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func defaultTexts(run string, multi bool) []string {
	parts := []string{run}
	if multi {
		parts = strings.Split(run, "-")
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		out = append(out, strings.ReplaceAll(p, "_", " "))
	}
	return out
}
