package configs

import (
	"errors"

	"gopkg.in/yaml.v3"
)

// mergeBudget bounds the nodes that merge keys may copy: a handful of
// anchors merged into each other can otherwise describe an exponentially
// large (or, through a merge of an enclosing mapping, infinite) document.
const mergeBudget = 100_000

var errMergeBudget = errors.New("merge keys (\"<<\") expand to more than 100000 nodes (recursive or nested too deeply)")

// expandMerges replaces YAML merge keys ("<<: *anchor", "<<: [*a, *b]")
// by copies of the merged entries, keys written next to "<<" winning, so
// that the rest of the loader (camera and rule defaults, strict field
// checks, paths) works on a plain tree.
func expandMerges(n *yaml.Node, budget *int) error {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			if err := expandMerges(c, budget); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		var own, merged []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
				sources := []*yaml.Node{v}
				if v.Kind == yaml.SequenceNode {
					sources = v.Content
				}
				for _, src := range sources {
					src = deref(src)
					if src == nil || src.Kind != yaml.MappingNode {
						continue
					}
					cp, err := copyNode(src, budget)
					if err != nil {
						return err
					}
					if err := expandMerges(cp, budget); err != nil {
						return err
					}
					merged = append(merged, cp.Content...)
				}
				continue
			}
			if err := expandMerges(v, budget); err != nil {
				return err
			}
			own = append(own, k, v)
		}
		if merged == nil {
			return nil
		}
		have := map[string]bool{}
		for i := 0; i < len(own); i += 2 {
			have[own[i].Value] = true
		}
		// Earlier sources win over later ones, as in YAML 1.1's merge.
		for i := 0; i+1 < len(merged); i += 2 {
			if !have[merged[i].Value] {
				have[merged[i].Value] = true
				own = append(own, merged[i], merged[i+1])
			}
		}
		n.Content = own
	}
	return nil
}

// copyNode deep-copies n (aliases stay aliases), spending budget.
func copyNode(n *yaml.Node, budget *int) (*yaml.Node, error) {
	*budget--
	if *budget < 0 {
		return nil, errMergeBudget
	}
	cp := *n
	if len(n.Content) > 0 {
		cp.Content = make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			cc, err := copyNode(c, budget)
			if err != nil {
				return nil, err
			}
			cp.Content[i] = cc
		}
	}
	return &cp, nil
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}
