package configs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxFileSize bounds a configuration file; anything larger is a mistake.
const MaxFileSize = 4 << 20

// Load reads, substitutes and validates the configuration file at path
// using the process environment. Problems with the content come back as
// Errors, each with its path and line; I/O problems as a wrapped error.
func Load(path string) (*Config, error) {
	return LoadEnv(path, Env{})
}

// LoadEnv is Load with an explicit environment.
func LoadEnv(path string, env Env) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("config %s: larger than %d bytes", path, MaxFileSize)
	}
	return Parse(path, data, env)
}

// Parse builds a configuration from YAML text in four steps: defaults,
// then the YAML on top (unknown fields are errors), then ${…}
// substitution in every value (see Env), then Validate. name is used as
// the config's Path. It returns Errors listing every problem.
func Parse(name string, data []byte, env Env) (*Config, error) {
	cfg := Default()
	cfg.path = name
	cfg.lines = map[string]int{}
	p := &parser{cfg: cfg, env: env, byLine: map[int][]string{}, scalars: map[int][]scalarAt{}, keyAt: map[int][]string{}, substituted: map[int]bool{}, inserted: map[string][]string{}}
	doc, err := p.document(data)
	if err != nil {
		return nil, err
	}
	p.index(doc, "", 0)
	budget := mergeBudget
	if err := expandMerges(doc, &budget); err != nil {
		return nil, Errors{{Msg: err.Error()}}
	}
	p.substitute(doc, "")
	checkFields(doc, reflectTypeOfConfig, "", &p.errs)
	p.knownFields(data)
	p.decode(doc)
	if p.decodeFailed {
		// A value that failed to decode is left at zero; validating it
		// would pile up consequential errors, so the decode errors (and
		// any unknown fields and substitution errors) come first.
		return nil, p.errs.errOrNil()
	}
	cfg.resolveStrides()
	if cfg.Global.Node == "" {
		cfg.Global.Node = defaultNode(env)
	}
	if err := cfg.Validate(); err != nil {
		// Unknown fields and substitution errors do not disturb the other
		// values, so validation still runs; a path already reported is
		// not reported twice.
		reported := map[string]bool{}
		for _, e := range p.errs {
			reported[e.Path] = true
		}
		for _, e := range err.(Errors) {
			if reported[e.Path] {
				continue
			}
			// A substituted value may be a secret in a place where it is
			// not recognisable as one (a whole URL from ${cred:…}): leave
			// out what ${…} inserted. (Shorter values would garble the
			// message and reveal little.)
			for _, v := range p.inserted[e.Path] {
				if len(v) >= 3 {
					e.Msg = strings.ReplaceAll(e.Msg, v, masked)
				}
			}
			p.errs = append(p.errs, e)
		}
	}
	if len(p.errs) > 0 {
		return nil, p.errs.errOrNil()
	}
	return cfg, nil
}

// parser carries the state of one Parse.
type parser struct {
	cfg    *Config
	env    Env
	errs   Errors
	byLine map[int][]string // line → paths of the values on it
	// scalars has the scalar values by line, to tell which of several
	// values on one line (flow style) an error is about.
	scalars map[int][]scalarAt
	keyAt   map[int][]string // line → paths of the mapping keys on it
	// substituted marks lines whose values came from ${…}: decode errors
	// there must not quote the value, which may be a secret.
	substituted map[int]bool
	// inserted holds, by path, the values ${…} put in.
	inserted map[string][]string
	// decodeFailed is set when a value could not be decoded.
	decodeFailed bool
}

func (p *parser) addf(path string, line int, format string, a ...any) {
	p.errs = append(p.errs, FieldError{Path: path, Line: line, Msg: fmt.Sprintf(format, a...)})
}

var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+):(?: column (\d+):)? (.*)$`)

// document parses the YAML text into its single document's root mapping.
func (p *parser) document(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{Msg: "empty configuration: at least one camera is required"}}
		}
		return nil, Errors{p.yamlError(err.Error())}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{Line: extra.Line, Msg: "more than one YAML document (remove the second \"---\")"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, Errors{p.yamlError(err.Error())}
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, Errors{{Msg: "empty configuration: at least one camera is required"}}
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, Errors{{Line: doc.Line, Msg: "the configuration must be a mapping (global:, lvlm:, nats:, defaults:, cameras:)"}}
	}
	return doc, nil
}

// yamlError turns one of yaml.v3's "line N: …" messages into a FieldError
// with the path of the values on that line.
func (p *parser) yamlError(msg string) FieldError {
	msg = strings.TrimPrefix(msg, "yaml: ")
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return FieldError{Msg: msg}
	}
	line, _ := strconv.Atoi(m[1])
	column, _ := strconv.Atoi(m[2])
	text := m[3]
	path := p.pathOf(line, column, text)
	if p.substituted[line] {
		text = backquoted.ReplaceAllString(text, "`"+masked+"`")
		// Messages quote values other ways too ("invalid duration %q"):
		// whatever ${…} put on this line goes, however it is quoted.
		for _, vp := range p.byLine[line] {
			for _, v := range p.inserted[vp] {
				if len(v) >= 3 {
					text = strings.ReplaceAll(text, v, masked)
				}
			}
		}
	}
	return FieldError{Path: path, Line: line, Msg: text}
}

// scalarAt is a scalar value's path and node.
type scalarAt struct {
	path string
	node *yaml.Node
}

// pathOf finds the value an error on line is about: the one at column
// (our own type errors give it), else the only one whose value the message
// quotes (yaml.v3's "cannot unmarshal !!str `abc`"), else what the
// values on the line have in common.
func (p *parser) pathOf(line, column int, msg string) string {
	on := p.scalars[line]
	if column > 0 {
		for _, s := range on {
			if s.node.Column == column {
				return s.path
			}
		}
	}
	if q := backquoted.FindString(msg); q != "" {
		q = strings.Trim(q, "`")
		// yaml.v3 shortens a value over 10 bytes to its first 7 and "...".
		prefix, cut := strings.CutSuffix(q, "...")
		var match []string
		for _, s := range on {
			if s.node.Value == q || cut && len(s.node.Value) > 10 && strings.HasPrefix(s.node.Value, prefix) {
				match = append(match, s.path)
			}
		}
		if len(match) == 1 {
			return match[0]
		}
	}
	return commonPath(p.byLine[line])
}

var backquoted = regexp.MustCompile("`[^`]*`")

// index records the line of every value by path. A mapping entry gets the
// line of its key, where the operator will look.
func (p *parser) index(n *yaml.Node, path string, line int) {
	if line == 0 {
		line = n.Line
	}
	if path != "" {
		p.cfg.lines[path] = line
		if n.Kind == yaml.ScalarNode {
			p.byLine[n.Line] = append(p.byLine[n.Line], path)
			p.scalars[n.Line] = append(p.scalars[n.Line], scalarAt{path: path, node: n})
		}
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p.keyAt[k.Line] = append(p.keyAt[k.Line], joinKey(path, k.Value))
			p.index(v, joinKey(path, k.Value), k.Line)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p.index(item, joinIndex(path, i), 0)
		}
	}
}

// substitute expands ${…} in every scalar value (keys are left alone).
func (p *parser) substitute(n *yaml.Node, path string) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		v, ins, err := p.env.expand(n.Value)
		if err != nil {
			p.addf(path, n.Line, "%v", err)
			return
		}
		if v == n.Value {
			return
		}
		n.Value = v
		p.substituted[n.Line] = true
		p.inserted[path] = ins
		// A plain scalar is typed by its text: let "${PORT}" become an int
		// once substituted. Quoted or tagged scalars keep their type.
		if n.Style&(yaml.TaggedStyle|yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			n.Tag = ""
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			p.substitute(n.Content[i+1], joinKey(path, n.Content[i].Value))
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p.substitute(item, joinIndex(path, i))
		}
	}
}

// decode fills cfg from the document. Cameras, their rules and LVLM
// endpoints are decoded item by item on top of their defaults, so that a
// camera inherits every setting it does not write.
func (p *parser) decode(doc *yaml.Node) {
	pruneNulls(doc)
	// The keys decoded item by item never reach yaml.v3's check for a key
	// written twice, and without/child would keep one of the two blocks
	// silently (a second "cameras:" pasted at the end dropped the first).
	p.once(deref(doc), "cameras", "")
	top, cams := without(doc, "cameras")
	if lvlm := deref(child(top, "lvlm")); lvlm != nil {
		p.once(lvlm, "endpoints", "lvlm")
		lvlmTop, _ := without(lvlm, "endpoints")
		top = replaced(top, "lvlm", lvlmTop)
	}
	p.decodeInto(top, p.cfg)
	if lvlm := child(doc, "lvlm"); lvlm != nil {
		if eps := deref(child(deref(lvlm), "endpoints")); eps != nil && eps.Kind == yaml.SequenceNode {
			p.cfg.LVLM.Endpoints = make([]Endpoint, len(eps.Content))
			for i, item := range eps.Content {
				p.cfg.LVLM.Endpoints[i] = defaultEndpoint()
				p.decodeInto(deref(item), &p.cfg.LVLM.Endpoints[i])
			}
		} else if eps != nil {
			p.addf("lvlm.endpoints", eps.Line, "must be a list of endpoints")
			p.decodeFailed = true
		}
	}
	cams = deref(cams)
	if cams == nil {
		return
	}
	if cams.Kind != yaml.SequenceNode {
		p.addf("cameras", cams.Line, "must be a list of cameras")
		p.decodeFailed = true
		return
	}
	p.cfg.Cameras = make([]Camera, len(cams.Content))
	for i, item := range cams.Content {
		cam := &p.cfg.Cameras[i]
		*cam = p.cfg.Defaults.newCamera()
		p.once(deref(item), "rules", joinIndex("cameras", i))
		camNode, rules := without(deref(item), "rules")
		p.decodeInto(camNode, cam)
		rules = deref(rules)
		if rules == nil {
			continue
		}
		if rules.Kind != yaml.SequenceNode {
			p.addf(joinKey(joinIndex("cameras", i), "rules"), rules.Line, "must be a list of rules")
			p.decodeFailed = true
			continue
		}
		cam.Rules = make([]Rule, len(rules.Content))
		for j, r := range rules.Content {
			cam.Rules[j] = p.cfg.Defaults.newRule()
			p.decodeInto(deref(r), &cam.Rules[j])
		}
	}
}

func (p *parser) decodeInto(n *yaml.Node, v any) {
	err := safely(func() error { return n.Decode(v) })
	if err == nil {
		return
	}
	p.decodeFailed = true
	var te *yaml.TypeError
	if errors.As(err, &te) {
		for _, m := range te.Errors {
			p.errs = append(p.errs, p.yamlError(m))
		}
		return
	}
	p.errs = append(p.errs, p.yamlError(err.Error()))
}

// once reports key written more than once in mapping n (at path), as
// yaml.v3 does for the keys it decodes itself.
func (p *parser) once(n *yaml.Node, key, path string) {
	if n == nil || n.Kind != yaml.MappingNode {
		return
	}
	first := 0
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.Value != key {
			continue
		}
		if first == 0 {
			first = k.Line
			continue
		}
		p.addf(joinKey(path, key), k.Line, "defined twice (also at line %d): one block would be ignored", first)
		p.decodeFailed = true
	}
}

// without returns a shallow copy of mapping n lacking key, and key's value.
func without(n *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return n, nil
	}
	cp := *n
	cp.Content = nil
	var val *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			val = n.Content[i+1]
			continue
		}
		cp.Content = append(cp.Content, n.Content[i], n.Content[i+1])
	}
	return &cp, val
}

// replaced returns a shallow copy of mapping n with key's value set to v.
func replaced(n *yaml.Node, key string, v *yaml.Node) *yaml.Node {
	cp := *n
	cp.Content = append([]*yaml.Node(nil), n.Content...)
	for i := 0; i+1 < len(cp.Content); i += 2 {
		if cp.Content[i].Value == key {
			cp.Content[i+1] = v
		}
	}
	return &cp
}

// pruneNulls drops mapping entries whose value is null ("key:" with
// nothing after it): an empty key means "not set", so the default stays,
// where yaml.v3 would zero the field.
func pruneNulls(n *yaml.Node) {
	switch n.Kind {
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			v := n.Content[i+1]
			if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
				continue
			}
			pruneNulls(v)
			kept = append(kept, n.Content[i], v)
		}
		n.Content = kept
	case yaml.SequenceNode:
		for _, item := range n.Content {
			pruneNulls(item)
		}
	}
}

// child returns the value of key in mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// defaultNode derives a node name from the host name: subject tokens may
// not contain dots.
func defaultNode(env Env) string {
	h, err := env.hostname()
	if err != nil || h == "" {
		return "anyanomaly"
	}
	var b strings.Builder
	for _, r := range h {
		if isIDRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	return b.String()
}

// resolveStrides turns an unset segment stride into the segment length,
// so that changing frames alone keeps segments non-overlapping.
func (c *Config) resolveStrides() {
	if c.Defaults.Segment.Stride == 0 {
		c.Defaults.Segment.Stride = c.Defaults.Segment.Frames
	}
	for i := range c.Cameras {
		if s := &c.Cameras[i].Segment; s.Stride == 0 {
			s.Stride = s.Frames
		}
	}
}

var notFound = regexp.MustCompile(`^line (\d+): field (.+) not found in type `)

// knownFields decodes the raw text once more with yaml.v3's
// KnownFields(true), as a second guard behind checkFields: it also sees
// keys brought in by merge keys ("<<: *anchor"), which checkFields leaves
// to the place the anchor is written. Only its unknown-field findings are
// used (its type errors on "${…}" values are expected: substitution has
// not happened in this pass), and only those checkFields did not report.
func (p *parser) knownFields(data []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var scratch Config
	err := safely(func() error { return dec.Decode(&scratch) })
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return
	}
	seen := map[string]bool{}
	for _, e := range p.errs {
		seen[strconv.Itoa(e.Line)+"\x00"+e.Path[strings.LastIndexAny(e.Path, ".]")+1:]] = true
	}
	for _, m := range te.Errors {
		sub := notFound.FindStringSubmatch(m)
		if sub == nil {
			continue
		}
		line, _ := strconv.Atoi(sub[1])
		key := sub[2]
		if seen[sub[1]+"\x00"+key] {
			continue
		}
		seen[sub[1]+"\x00"+key] = true
		path := key
		for _, kp := range p.keyAt[line] {
			if kp == key || strings.HasSuffix(kp, "."+key) {
				path = kp
				break
			}
		}
		p.addf(path, line, "unknown field %q", key)
	}
}

// safely runs a yaml.v3 decode, turning a panic into an error: yaml.v3
// v3.0.1 panics on some odd documents (an alias of a mapping used as a
// key next to a merge key), and outside input must never crash the daemon.
func safely(decode func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unsupported YAML construct (%v)", r)
		}
	}()
	return decode()
}
