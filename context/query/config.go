package query

import (
	"fmt"

	"github.com/anyanomaly/anyanomaly/context/grid"
)

// Config sets the geometry and encoding of the three query images. The zero
// value is not usable; start from DefaultConfig.
type Config struct {
	// WorkSize is the side of the square working copy windows are cut from
	// (paper: 240).
	WorkSize int `yaml:"work_size" json:"work_size"`
	// WindowSizes are the window scales in working-copy pixels (paper: 48,
	// 80, 120; 240 as the large window for very wide fields of view).
	WindowSizes []int `yaml:"window_sizes" json:"window_sizes"`
	// WindowStrides are the steps between windows, one per size; nil means
	// stride = size (non-overlapping windows, as in the paper).
	WindowStrides []int `yaml:"window_strides,omitempty" json:"window_strides,omitempty"`
	// OutSize is the side of the PC image and of the TC grid (224).
	OutSize int `yaml:"out_size" json:"out_size"`
	// TileSize is the side of each TC tile (112); 2·TileSize must equal
	// OutSize.
	TileSize int `yaml:"tile_size" json:"tile_size"`
	// JPEGQuality is the quality of the encoded query images, 1–100 (85).
	JPEGQuality int `yaml:"jpeg_quality" json:"jpeg_quality"`
}

// DefaultConfig returns the paper's geometry and JPEG quality 85.
func DefaultConfig() Config {
	return Config{
		WorkSize:    240,
		WindowSizes: []int{48, 80, 120},
		OutSize:     224,
		TileSize:    112,
		JPEGQuality: 85,
	}
}

// Validate reports the first problem with c.
func (c Config) Validate() error {
	scales, err := c.scales()
	if err != nil {
		return err
	}
	if err := grid.Validate(c.WorkSize, scales); err != nil {
		return fmt.Errorf("query: %w", err)
	}
	for _, s := range scales {
		if s.Count(c.WorkSize) > maxWindowsPerAxis {
			return fmt.Errorf("query: window size %d with stride %d gives %d windows per axis, more than %d",
				s.Size, s.Stride, s.Count(c.WorkSize), maxWindowsPerAxis)
		}
	}
	if c.OutSize <= 0 {
		return fmt.Errorf("query: out_size %d must be positive", c.OutSize)
	}
	if c.TileSize <= 0 || 2*c.TileSize != c.OutSize {
		return fmt.Errorf("query: tile_size %d must be half of out_size %d", c.TileSize, c.OutSize)
	}
	if c.JPEGQuality < 1 || c.JPEGQuality > 100 {
		return fmt.Errorf("query: jpeg_quality %d must be in 1..100", c.JPEGQuality)
	}
	return nil
}

// maxWindowsPerAxis bounds the work per segment against a configuration
// such as stride 1 on a large working copy.
const maxWindowsPerAxis = 64

func (c Config) scales() ([]grid.Scale, error) {
	s, err := grid.Scales(c.WindowSizes, c.WindowStrides)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	return s, nil
}
