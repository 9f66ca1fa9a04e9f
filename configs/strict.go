package configs

import (
	"reflect"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

var (
	reflectTypeOfConfig = reflect.TypeOf(Config{})
	unmarshalerType     = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
)

// checkFields reports every mapping key that names no field of the Go type
// the value decodes into, with its path, line and a suggestion.
//
// yaml.v3's KnownFields(true) does this only for Decoder.Decode on raw
// bytes; the configuration is decoded from a yaml.Node after ${…}
// substitution (Node.Decode has no strict mode), so the check is done
// here, on the same node, before decoding.
func checkFields(n *yaml.Node, t reflect.Type, path string, errs *Errors) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // a type mismatch; the decoder reports it
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" {
				continue // merge key: the merged mapping is checked where it is written
			}
			ft, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, FieldError{Path: joinKey(path, k.Value), Line: k.Line, Msg: unknownFieldMsg(k.Value, fields)})
				continue
			}
			checkFields(v, ft, joinKey(path, k.Value), errs)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, item := range n.Content {
			checkFields(item, t.Elem(), joinIndex(path, i), errs)
		}
	}
}

// yamlFields maps the YAML keys of struct t (inline structs flattened) to
// their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func unknownFieldMsg(key string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
		if d := editDistance(key, name); d < bestD {
			best, bestD = name, d
		}
	}
	if best != "" {
		return "unknown field; did you mean \"" + best + "\"?"
	}
	sort.Strings(names)
	return "unknown field (known here: " + strings.Join(names, ", ") + ")"
}

// editDistance is the Levenshtein distance, for "did you mean" hints.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
