package labels

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// maxNPYFrames bounds a mask's length; a day of video at 30 fps is 2.6 M.
const maxNPYFrames = 1 << 24

// ReadNPY reads a one-dimensional NumPy .npy array of per-frame labels (the
// layout of ShanghaiTech's test_frame_mask files) and returns true for every
// non-zero element. Bool, integer and float dtypes of either byte order are
// accepted; anything else is a clear error.
func ReadNPY(r io.Reader) ([]bool, error) {
	br := bufio.NewReader(r)
	var pre [8]byte
	if _, err := io.ReadFull(br, pre[:]); err != nil {
		return nil, fmt.Errorf("npy: read magic: %w", err)
	}
	if !bytes.Equal(pre[:6], []byte("\x93NUMPY")) {
		return nil, fmt.Errorf("npy: not a .npy file (bad magic)")
	}
	var hlen int
	switch pre[6] {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("npy: read header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("npy: read header length: %w", err)
		}
		hlen = int(binary.LittleEndian.Uint32(b[:]))
	default:
		return nil, fmt.Errorf("npy: unsupported format version %d.%d", pre[6], pre[7])
	}
	if hlen > 1<<16 {
		return nil, fmt.Errorf("npy: header of %d bytes is implausibly long", hlen)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return nil, fmt.Errorf("npy: read header: %w", err)
	}
	descr, fortran, shape, err := parseNPYHeader(string(hdr))
	if err != nil {
		return nil, err
	}
	_ = fortran // irrelevant for one dimension
	n := 1
	for _, d := range shape {
		n *= d
	}
	switch {
	case len(shape) == 1:
	case len(shape) == 2 && (shape[0] == 1 || shape[1] == 1):
	default:
		return nil, fmt.Errorf("npy: shape %v is not one-dimensional", shape)
	}
	if n > maxNPYFrames {
		return nil, fmt.Errorf("npy: %d elements exceed the limit of %d", n, maxNPYFrames)
	}
	conv, size, err := npyElement(descr)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, n*size)
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil, fmt.Errorf("npy: read %d elements of %s: %w", n, descr, err)
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = conv(buf[i*size : (i+1)*size])
	}
	return out, nil
}

var (
	npyDescrRe   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	npyFortranRe = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	npyShapeRe   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

func parseNPYHeader(h string) (descr string, fortran bool, shape []int, err error) {
	m := npyDescrRe.FindStringSubmatch(h)
	if m == nil {
		return "", false, nil, fmt.Errorf("npy: header has no 'descr': %q", truncate(h))
	}
	descr = m[1]
	if m := npyFortranRe.FindStringSubmatch(h); m != nil {
		fortran = m[1] == "True"
	}
	m = npyShapeRe.FindStringSubmatch(h)
	if m == nil {
		return "", false, nil, fmt.Errorf("npy: header has no 'shape': %q", truncate(h))
	}
	for _, p := range strings.Split(m[1], ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		d, err := strconv.Atoi(strings.TrimSuffix(p, "L"))
		if err != nil || d < 0 || d > maxNPYFrames {
			return "", false, nil, fmt.Errorf("npy: bad shape %q", m[1])
		}
		shape = append(shape, d)
	}
	if len(shape) == 0 {
		return "", false, nil, fmt.Errorf("npy: scalar array, want one label per frame")
	}
	return descr, fortran, shape, nil
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// npyElement returns a converter from one element's bytes to "non-zero".
func npyElement(descr string) (func([]byte) bool, int, error) {
	if len(descr) < 3 {
		return nil, 0, fmt.Errorf("npy: unsupported dtype %q", descr)
	}
	var order binary.ByteOrder
	switch descr[0] {
	case '<', '|', '=':
		order = binary.LittleEndian
	case '>':
		order = binary.BigEndian
	default:
		return nil, 0, fmt.Errorf("npy: unsupported dtype %q", descr)
	}
	size, err := strconv.Atoi(descr[2:])
	if err != nil {
		return nil, 0, fmt.Errorf("npy: unsupported dtype %q", descr)
	}
	nonZero := func(b []byte) bool {
		for _, c := range b {
			if c != 0 {
				return true
			}
		}
		return false
	}
	switch kind := descr[1]; {
	case (kind == 'b' && size == 1) || ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)):
		return nonZero, size, nil
	case kind == 'f' && size == 4:
		return func(b []byte) bool { v := math.Float32frombits(order.Uint32(b)); return v != 0 && v == v }, 4, nil
	case kind == 'f' && size == 8:
		return func(b []byte) bool { v := math.Float64frombits(order.Uint64(b)); return v != 0 && v == v }, 8, nil
	}
	return nil, 0, fmt.Errorf("npy: unsupported dtype %q (want bool, integer or float)", descr)
}

// Intervals turns per-frame labels into sorted half-open intervals.
func Intervals(mask []bool) []Interval {
	var out []Interval
	start := -1
	for i, m := range mask {
		switch {
		case m && start < 0:
			start = i
		case !m && start >= 0:
			out = append(out, Interval{start, i})
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, Interval{start, len(mask)})
	}
	return out
}

// LoadMaskDir reads every <video>.npy of dir (ShanghaiTech's
// testing/test_frame_mask) into a set with one run named run, whose texts
// are texts.
func LoadMaskDir(dir, dataset, run string, texts []string) (*Set, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.npy"))
	if err != nil {
		return nil, fmt.Errorf("labels %s: list %s: %w", dataset, dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("labels %s: no .npy frame masks in %s", dataset, dir)
	}
	sort.Strings(paths)
	r := Run{Name: run, Texts: texts, Kind: KindMixed}
	for _, p := range paths {
		mask, err := readNPYFile(p)
		if err != nil {
			return nil, fmt.Errorf("labels %s: %w", dataset, err)
		}
		r.Videos = append(r.Videos, Video{
			Name:      strings.TrimSuffix(filepath.Base(p), ".npy"),
			Frames:    len(mask),
			Anomalies: Intervals(mask),
		})
	}
	s := &Set{Dataset: dataset, Source: "frame masks in " + dir, Runs: []Run{r}}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

func readNPYFile(path string) ([]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := ReadNPY(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
