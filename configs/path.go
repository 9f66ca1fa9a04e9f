package configs

import (
	"strconv"
	"strings"
)

// joinKey appends a mapping key to a path.
func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// joinIndex appends a sequence index to a path.
func joinIndex(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// parentPath drops the last element of a path ("a.b[2]" → "a.b" → "a").
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

// commonPath is the longest common element prefix of paths.
func commonPath(paths []string) string {
	if len(paths) == 0 {
		return ""
	}
	c := paths[0]
	for _, p := range paths[1:] {
		for c != "" && !(p == c || strings.HasPrefix(p, c+".") || strings.HasPrefix(p, c+"[")) {
			c = parentPath(c)
		}
	}
	return c
}
