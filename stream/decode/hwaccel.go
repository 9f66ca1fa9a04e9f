package decode

import (
	"fmt"
	"log/slog"

	"github.com/asticode/go-astiav"
)

// HWAccel names accepted by Config.HWAccel.
const (
	HWNone  = "none"
	HWCUDA  = "cuda"
	HWVAAPI = "vaapi"
	HWAuto  = "auto"
)

// ValidHWAccel reports whether s names a supported hwaccel setting ("" means
// none).
func ValidHWAccel(s string) bool {
	switch s {
	case "", HWNone, HWCUDA, HWVAAPI, HWAuto:
		return true
	}
	return false
}

// hwDevice is an opened hardware device bound to a decoder.
type hwDevice struct {
	name   string
	ctx    *astiav.HardwareDeviceContext
	pixFmt astiav.PixelFormat
}

// openHW opens the device for one hwaccel name and checks that the codec
// supports it. The error carries FFmpeg's own reason from its log.
func openHW(codec *astiav.Codec, name string) (*hwDevice, error) {
	t := astiav.FindHardwareDeviceTypeByName(name)
	if t == astiav.HardwareDeviceTypeNone {
		return nil, fmt.Errorf("hwaccel %s: not built into this FFmpeg", name)
	}
	pf := astiav.PixelFormatNone
	for _, c := range codec.HardwareConfigs() {
		if c.MethodFlags().Has(astiav.CodecHardwareConfigMethodFlagHwDeviceCtx) && c.HardwareDeviceType() == t {
			pf = c.PixelFormat()
			break
		}
	}
	if pf == astiav.PixelFormatNone {
		return nil, fmt.Errorf("hwaccel %s: decoder %s does not support it", name, codec.Name())
	}
	var hctx *astiav.HardwareDeviceContext
	reason, err := captureLog(func() error {
		var err error
		hctx, err = astiav.CreateHardwareDeviceContext(t, "", nil)
		return err
	})
	if err != nil {
		if reason != "" {
			return nil, fmt.Errorf("hwaccel %s: %s (%w)", name, reason, err)
		}
		return nil, fmt.Errorf("hwaccel %s: create device: %w", name, err)
	}
	return &hwDevice{name: name, ctx: hctx, pixFmt: pf}, nil
}

// pickHW resolves the configured hwaccel. "auto" tries cuda then vaapi and
// logs one line per device that failed before settling on software; an
// explicit choice that fails is an error.
func pickHW(codec *astiav.Codec, want string, log *slog.Logger) (*hwDevice, error) {
	switch want {
	case "", HWNone:
		return nil, nil
	case HWCUDA, HWVAAPI:
		return openHW(codec, want)
	case HWAuto:
		for _, name := range []string{HWCUDA, HWVAAPI} {
			dev, err := openHW(codec, name)
			if err == nil {
				return dev, nil
			}
			log.Info("hwaccel unavailable, trying next", "hwaccel", name, "reason", err.Error())
		}
		log.Info("hwaccel auto: using software decoding")
		return nil, nil
	default:
		return nil, fmt.Errorf("hwaccel %q: want none, cuda, vaapi or auto", want)
	}
}
