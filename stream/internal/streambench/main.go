// Command streambench measures the ingest pipeline for BENCHMARKS.md:
// decode+scale throughput from files and through RTSP loopback against
// `ffmpeg -threads 1 -i CLIP -f null -` on the same clips, peak RSS per
// extra 1080p camera, and CPU per real-time 1080p25 camera. Run it through
// scripts/bench_stream.sh. Throughput is frames per CPU-second (user+sys)
// so that both sides are charged for all the work they do, whatever else
// runs on the machine.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/anyanomaly/anyanomaly/stream"
	"github.com/anyanomaly/anyanomaly/stream/decode"
	"github.com/anyanomaly/anyanomaly/stream/replay"
	"github.com/anyanomaly/anyanomaly/stream/segment"
)

type measure struct {
	Frames int64   `json:"frames"`
	WallS  float64 `json:"wall_s"`
	CPUS   float64 `json:"cpu_s"`
	RSSKiB int64   `json:"maxrss_kib"`
}

func cpuNow() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func maxRSS() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: streambench suite|file|rtsp|cams|serve|scale ...")
		os.Exit(2)
	}
	// Measure what the daemon runs: it sets the same collector target.
	stream.TuneGC()
	var err error
	switch os.Args[1] {
	case "suite":
		err = suite(os.Args[2:])
	case "file":
		err = fileMode(os.Args[2:])
	case "rtsp", "cams":
		err = camsMode(os.Args[2:])
	case "serve":
		err = serveMode(os.Args[2:])
	case "scale":
		err = scaleMode(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "streambench:", err)
		os.Exit(1)
	}
}

func emit(m measure) error { return json.NewEncoder(os.Stdout).Encode(m) }

func fileMode(args []string) error {
	fs := flag.NewFlagSet("file", flag.ExitOnError)
	clip := fs.String("clip", "", "video file")
	sample := fs.Float64("sample-fps", 0, "analysis rate (0: every frame is scaled)")
	_ = fs.Parse(args)
	c0, t0 := cpuNow(), time.Now()
	// Like the daemon's consumer (detector.Pool), hand every segment's
	// images back when done with it, so the recycled path is measured.
	info, err := stream.ReadFile(context.Background(), *clip, stream.FileOptions{RecycleImages: true, SampleFPS: *sample}, func(s *segment.Segment) error {
		s.Release()
		return nil
	})
	if err != nil {
		return err
	}
	return emit(measure{Frames: info.Frames, WallS: time.Since(t0).Seconds(), CPUS: cpuNow() - c0, RSSKiB: maxRSS()})
}

// scaleMode decodes a clip and scales every frame to 640 px RGBA with the
// pipeline's decoder and scaler, without sampling or segments. With -reuse
// every frame is scaled into the same image; without it each frame gets a
// fresh image and the last -window images are kept alive, as a segment
// window does. The difference is what a fresh image per analysed frame
// costs (memory traffic, zeroing, GC), which a pool released by the
// consumer would save. -decode-only skips scaling.
func scaleMode(args []string) error {
	fs := flag.NewFlagSet("scale", flag.ExitOnError)
	clip := fs.String("clip", "", "video file")
	reuse := fs.Bool("reuse", false, "scale every frame into one reused image")
	noScale := fs.Bool("decode-only", false, "decode without scaling (the in-process counterpart of the ffmpeg baseline)")
	window := fs.Int("window", stream.DefaultSegmentFrames, "fresh images kept alive (without -reuse)")
	passes := fs.Int("passes", 1, "decode the clip this many times; with more than one, only the passes after the first are measured")
	_ = fs.Parse(args)
	var (
		c0, t0 = cpuNow(), time.Now()
		frames int64
	)
	for pass := 0; pass < *passes; pass++ {
		if pass == 1 {
			c0, t0, frames = cpuNow(), time.Now(), 0
		}
		n, err := scalePass(*clip, *reuse, *noScale, *window)
		if err != nil {
			return err
		}
		frames += n
	}
	return emit(measure{Frames: frames, WallS: time.Since(t0).Seconds(), CPUS: cpuNow() - c0, RSSKiB: maxRSS()})
}

func scalePass(clip string, reuse, noScale bool, window int) (int64, error) {
	dm, err := decode.OpenFile(clip, decode.DemuxOptions{})
	if err != nil {
		return 0, err
	}
	defer dm.Close()
	dec, err := dm.NewDecoder(decode.Config{})
	if err != nil {
		return 0, err
	}
	defer dec.Close()
	sc := decode.NewScaler(0)
	defer sc.Close()
	var (
		frames int64
		one    *image.YCbCr
		kept   = make([]*image.YCbCr, max(1, window))
	)
	alloc := func(w, h int) *image.YCbCr {
		if one == nil {
			one = decode.NewImage(w, h)
		}
		return one
	}
	var lastYield time.Time
	onPic := func(p *decode.Picture) error {
		if noScale {
			frames++
			return nil
		}
		var a func(w, h int) *image.YCbCr
		if reuse {
			a = alloc
		}
		img, err := sc.Scale(p, a)
		if err != nil {
			return err
		}
		kept[frames%int64(len(kept))] = img
		frames++
		return nil
	}
	for {
		pkt, err := dm.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		if err := dec.DecodePacket(pkt, onPic); err != nil {
			return 0, err
		}
		// Yield now and then, as the pipeline's decode loops do
		// (stream/yield.go).
		if now := time.Now(); now.Sub(lastYield) >= 8*time.Millisecond {
			lastYield = now
			runtime.Gosched()
		}
	}
	if err := dec.Flush(onPic); err != nil {
		return 0, err
	}
	return frames, nil
}

// serveMode serves a clip over RTSP until interrupted, printing its URL,
// so that the client side (`streambench rtsp -url URL`) can be profiled on
// its own.
func serveMode(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	clip := fs.String("clip", "", "video file")
	speed := fs.Float64("speed", 1, "replay pace multiplier")
	loop := fs.Bool("loop", true, "loop the clip")
	_ = fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, done := serve(ctx, *clip, *speed, *loop)
	fmt.Println(srv.URL())
	return <-done
}

// camsMode runs n cameras against url until frames are decoded per camera
// (rtsp throughput) or for a fixed time (real-time cost and memory).
func camsMode(args []string) error {
	fs := flag.NewFlagSet("cams", flag.ExitOnError)
	url := fs.String("url", "", "rtsp URL")
	n := fs.Int("n", 1, "cameras")
	frames := fs.Int64("frames", 0, "stop when each camera received this many frames, decoded or dropped (0: run -seconds)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up (and report what was measured) after this long")
	verbose := fs.Bool("v", false, "print every camera's stats to stderr at the end")
	seconds := fs.Float64("seconds", 8, "run time when -frames is 0")
	warm := fs.Float64("warmup", 2, "seconds excluded from the CPU measurement")
	sample := fs.Float64("sample-fps", 0, "analysis rate")
	queue := fs.Int("queue", 0, "access unit queue")
	long := fs.Int("long-side", 0, "analysis long side (0 = 640)")
	segFrames := fs.Int("segment-frames", 0, "N (0 = 24)")
	memProfile := fs.String("memprofile", "", "write an allocation profile here at the end (go tool pprof -sample_index=alloc_space)")
	_ = fs.Parse(args)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cams := make([]*stream.Camera, *n)
	var wg sync.WaitGroup
	for i := range cams {
		cams[i] = stream.NewCamera(stream.CameraConfig{ID: fmt.Sprint("c", i), URL: *url, Transport: "tcp", SampleFPS: *sample, QueueSize: *queue,
			LongSide: *long, SegmentFrames: *segFrames},
			stream.Deps{Logger: slog.New(slog.DiscardHandler)})
		wg.Add(2)
		go func(c *stream.Camera) { defer wg.Done(); _ = c.Run(ctx) }(cams[i])
		go func(c *stream.Camera) {
			defer wg.Done()
			for s := range c.Segments() {
				s.Release()
			}
		}(cams[i])
	}
	// decoded sums decoded frames; minimum is the least received by any
	// camera (frames the decoder could not keep up with count as received
	// and dropped, so a too-fast replay cannot stall the measurement).
	decoded := func() (total int64, minimum int64) {
		minimum = -1
		for _, c := range cams {
			st := c.Stats()
			total += int64(st.FramesDecoded)
			if r := int64(st.FramesReceived); minimum < 0 || r < minimum {
				minimum = r
			}
		}
		return
	}
	deadline := time.Now().Add(*timeout)
	// Wait for the first frames so connection set-up is not measured.
	for {
		if _, m := decoded(); m > 0 {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("no frames")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if *frames == 0 {
		time.Sleep(time.Duration(*warm * float64(time.Second)))
	}
	f0, _ := decoded()
	c0, t0 := cpuNow(), time.Now()
	for {
		tot, m := decoded()
		if *frames > 0 && m >= *frames || *frames == 0 && time.Since(t0).Seconds() >= *seconds || time.Now().After(deadline) {
			res := measure{Frames: tot - f0, WallS: time.Since(t0).Seconds(), CPUS: cpuNow() - c0, RSSKiB: maxRSS()}
			if *verbose {
				for _, c := range cams {
					fmt.Fprintf(os.Stderr, "%+v\n", c.Stats())
				}
			}
			if *memProfile != "" {
				if err := writeHeapProfile(*memProfile); err != nil {
					return err
				}
			}
			cancel()
			wg.Wait()
			return emit(res)
		}
		// The wake-ups are charged to the cameras: a timed run sleeps
		// through its window at once; a frame-counting one looks ten
		// times a second (100 polls a second cost a real-time camera a
		// few percent of its CPU here).
		wait := time.Until(t0.Add(time.Duration(*seconds * float64(time.Second))))
		if *frames > 0 {
			wait = 100 * time.Millisecond
		}
		time.Sleep(min(max(wait, 0), time.Until(deadline)+time.Millisecond))
	}
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func child(args ...string) (measure, error) {
	return childGODEBUG(deployedGODEBUG, args...)
}

// deployedGODEBUG is the daemon's GODEBUG under its systemd unit
// (systemd/anyanomaly.service), which the pipeline's runs use unless the
// suite is told otherwise (-godebug).
var deployedGODEBUG = "schedtrace=2147483647"

// childGODEBUG is child with GODEBUG set to godebug ("": Go's defaults).
func childGODEBUG(godebug string, args ...string) (measure, error) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GODEBUG="+godebug)
	out, err := cmd.Output()
	var m measure
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return m, fmt.Errorf("%v: %w: %s", args, err, ee.Stderr)
		}
		return m, err
	}
	return m, json.Unmarshal(out, &m)
}

// ffmpegRun decodes a clip with the ffmpeg CLI, frames counted by the
// generator (25 fps times the clip's seconds). The CPU time is ffmpeg's
// own -benchmark figure: user+system time of its transcoding loop, which
// leaves out what the process pays before it (loading 216 shared
// libraries, parsing options, opening and probing the input), as the
// pipeline's side leaves out its process start-up. The steady-state rate
// cancels what is left of one-time costs on both sides.
func ffmpegRun(c clipFile) (measure, error) {
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostats", "-loglevel", "info", "-benchmark", "-threads", "1", "-i", c.path, "-f", "null", "-")
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return measure{}, fmt.Errorf("ffmpeg: %w: %s", err, out)
	}
	m := benchLine.FindSubmatch(out)
	if m == nil {
		return measure{}, fmt.Errorf("ffmpeg -benchmark printed no bench line: %s", out)
	}
	ut, _ := strconv.ParseFloat(string(m[1]), 64)
	st, _ := strconv.ParseFloat(string(m[2]), 64)
	return measure{Frames: c.frames, WallS: time.Since(t0).Seconds(), CPUS: ut + st}, nil
}

// benchLine is ffmpeg's -benchmark summary ("bench: utime=1.402s
// stime=0.012s rtime=1.420s maxrss=...").
var benchLine = regexp.MustCompile(`bench: utime=([0-9.]+)s stime=([0-9.]+)s`)

// clipFile is a generated benchmark clip.
type clipFile struct {
	path   string
	frames int64
}

// serve runs a replay server for clip in this process.
func serve(ctx context.Context, clip string, speed float64, loop bool) (*replay.Server, chan error) {
	srv := replay.New(replay.Config{File: clip, Listen: "127.0.0.1:0", Path: "bench", Loop: loop, UDPPort: -1, Speed: speed, WaitForReader: true},
		replay.Deps{Logger: slog.New(slog.DiscardHandler)})
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	<-srv.Ready()
	return srv, done
}

func suite(args []string) error {
	fs := flag.NewFlagSet("suite", flag.ExitOnError)
	rssOnly := fs.String("rss-args", "", "only measure RSS per extra camera, passing these extra cams flags (e.g. \"-long-side 320\")")
	dir := fs.String("dir", "", "folder for the generated clips")
	runs := fs.Int("runs", 5, "runs per measurement (medians are reported)")
	seconds := fs.Int("clip-seconds", 12, "clip length (a second clip three times as long gives the steady-state rates)")
	speed := fs.Float64("rtsp-speed", 2, "replay pace multiplier for the paced RTSP runs")
	over := fs.Float64("rtsp-overload", 1.2, "the capacity probe paces the replay at this multiple of the reader's own rate from file")
	below := fs.Float64("rtsp-capacity-pace", 0.97, "the at-capacity RTSP runs are paced at this fraction of the probed capacity")
	sample := fs.Float64("default-sample-fps", 4, "analysis rate of the daemon's defaults (configs/defaults.go)")
	fs.StringVar(&deployedGODEBUG, "godebug", deployedGODEBUG, "GODEBUG of the pipeline's runs (the systemd unit's; the real-time CPU is also measured with Go's defaults)")
	_ = fs.Parse(args)
	type clipDef struct{ name, size string }
	clips := []clipDef{{"720p", "1280x720"}, {"1080p", "1920x1080"}}
	short, long := map[string]clipFile{}, map[string]clipFile{}
	for _, c := range clips {
		for _, l := range []struct {
			paths   map[string]clipFile
			suffix  string
			seconds int
		}{{short, "", *seconds}, {long, "_long", 3 * *seconds}} {
			p := filepath.Join(*dir, "bench_"+c.name+l.suffix+".mp4")
			// Camera-like encoding: no B-frames, 2 s GOP.
			out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
				"-i", fmt.Sprintf("testsrc2=size=%s:rate=25", c.size), "-t", fmt.Sprint(l.seconds),
				"-c:v", "libx264", "-preset", "veryfast", "-g", "50", "-bf", "0", "-pix_fmt", "yuv420p", p).CombinedOutput()
			if err != nil {
				return fmt.Errorf("generate %s: %w: %s", c.name, err, out)
			}
			l.paths[c.name] = clipFile{p, int64(l.seconds * 25)}
		}
	}
	if *rssOnly != "" {
		return rssSuite(short["1080p"].path, *runs, strings.Fields(*rssOnly))
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "Clips: ffmpeg testsrc2, libx264 veryfast, GOP 50, no B-frames, 25 fps, %d s and %d s; %d runs, each measuring every side back to back; medians of the rates, and of each run's ratios.\n", *seconds, 3**seconds, *runs)
	fmt.Fprintf(&sb, "ffmpeg and file: steady-state rate = extra frames / extra CPU-seconds of the long clip over the short one, CPU measured inside each process (ffmpeg's -benchmark; the child's getrusage around stream.ReadFile), so process start-up is left out and probing and first-touch costs cancel; ffmpeg's rate is the mean of one measurement before the pipeline's and one after.\n")
	fmt.Fprintf(&sb, "RTSP: replay (in the parent process) -> loopback TCP -> reader, looping, %g s after a %g s warm-up, frames per CPU-second of the reader process. "+
		"At capacity: in every run, a probe paces the replay at %g x the reader's own rate from file and takes the rate it decodes at in wall time; "+
		"the measured run right after it is paced at %g x that, so that the reader never waits long and no surplus is received and charged (a run that falls behind anyway is measured again at %g x the rate it kept, up to twice).\n\n", rtspSeconds, rtspWarmup, *over, *below, *below)
	fmt.Fprintf(&sb, "The pipeline's processes run with GODEBUG=%s, as under the systemd unit.\n\n", deployedGODEBUG)
	fmt.Fprintf(&sb, "Two readings of \"frames/s\" through RTSP: frames per CPU-second of the reader process (what a box with many cameras pays), and frames per wall second at the probed capacity (the throughput, as the ffmpeg CLI's own fps counts it); both are divided by ffmpeg's rate from file per CPU-second, which is at least its rate per wall second with -threads 1.\n\n")
	fmt.Fprintf(&sb, "| clip | frames scaled | ffmpeg -threads 1 | file | ratio (≥ 0.95) | RTSP, 1 camera, at capacity, per CPU-s | ratio (≥ 0.90) | RTSP capacity, per wall s | ratio (≥ 0.90) |\n|---|---|---|---|---|---|---|---|---|\n")
	var transport strings.Builder
	fmt.Fprintf(&transport, "\n| clip | ffmpeg -threads 1, file | ffmpeg -threads 1 -rtsp_transport tcp, at capacity | ratio | pipeline through RTSP, every frame scaled | vs ffmpeg through RTSP |\n|---|---|---|---|---|---|\n")
	var paced strings.Builder
	fmt.Fprintf(&paced, "\n| clip | RTSP, 1 camera, %gx pace | ratio | RTSP, 3 cameras, %gx pace | ratio |\n|---|---|---|---|---|\n", *speed, *speed)
	ctx := context.Background()
	for _, c := range clips {
		clip := short[c.name].path
		// Every run measures all sides back to back, and each ratio is
		// taken within its run before the median: the host's load drifts
		// between runs far more than within one.
		var (
			ff, fl, fd, ra, rd, rf, r1, r3, wa, wd      []float64 // rates
			qfl, qfd, qra, qrd, qrf, qr1, qr3, qwa, qwd []float64 // ratios to the run's ffmpeg rate
		)
		for r := 0; r < *runs; r++ {
			ffRate, err := steadyRate(ffmpegRun, short[c.name], long[c.name])
			if err != nil {
				return err
			}
			all, err := steadyRate(func(c clipFile) (measure, error) { return child("file", "-clip", c.path) }, short[c.name], long[c.name])
			if err != nil {
				return err
			}
			def, err := steadyRate(func(c clipFile) (measure, error) {
				return child("file", "-clip", c.path, "-sample-fps", fmt.Sprint(*sample))
			}, short[c.name], long[c.name])
			if err != nil {
				return err
			}
			// ffmpeg again after the pipeline, and the mean of both: the
			// host's speed drifts within a run too, and this way it
			// drifts the same for both sides.
			ffAfter, err := steadyRate(ffmpegRun, short[c.name], long[c.name])
			if err != nil {
				return err
			}
			ffRate = (ffRate + ffAfter) / 2
			ff, fl, fd = append(ff, ffRate), append(fl, all), append(fd, def)
			qfl, qfd = append(qfl, all/ffRate), append(qfd, def/ffRate)
			fmt.Fprintf(os.Stderr, "%s run %d: ffmpeg %.0f, file %.0f (every frame scaled), %.0f (sample_fps %g) fps/CPU-s\n", c.name, r+1, ffRate, all, def, *sample)
			// The host's speed drifts between runs, so every run probes
			// the capacities afresh, right before measuring at them.
			capAll, err := probeCapacity(clip, *over*all, func(speed float64) (measure, error) { return rtspRun(ctx, clip, speed, 1, 0) })
			if err != nil {
				return err
			}
			capDef, err := probeCapacity(clip, *over*def, func(speed float64) (measure, error) { return rtspRun(ctx, clip, speed, 1, *sample) })
			if err != nil {
				return err
			}
			capFF, err := probeCapacity(clip, *over*ffRate, func(speed float64) (measure, error) { return ffmpegRTSPRun(ctx, clip, speed) })
			if err != nil {
				return err
			}
			fmt.Fprintf(os.Stderr, "%s run %d: capacity through RTSP (decoded frames per wall second): pipeline %.0f (every frame scaled), %.0f (sample_fps %g); ffmpeg %.0f\n", c.name, r+1, capAll, capDef, *sample, capFF)
			wa, wd = append(wa, capAll), append(wd, capDef)
			qwa, qwd = append(qwa, capAll/ffRate), append(qwd, capDef/ffRate)
			for _, rc := range []struct {
				rates, ratios *[]float64
				n             int
				speed         float64
				atCapacity    bool
				sample        float64
				ffmpeg        bool
			}{{&ra, &qra, 1, *below * capAll / 25, true, 0, false}, {&rd, &qrd, 1, *below * capDef / 25, true, *sample, false},
				{&rf, &qrf, 1, *below * capFF / 25, true, 0, true}, {&r1, &qr1, 1, *speed, false, 0, false}, {&r3, &qr3, 3, *speed, false, 0, false}} {
				speed := rc.speed
				var m measure
				for attempt := 0; ; attempt++ {
					var err error
					if rc.ffmpeg {
						m, err = ffmpegRTSPRun(ctx, clip, speed)
					} else {
						m, err = rtspRun(ctx, clip, speed, rc.n, rc.sample)
					}
					if err != nil {
						return err
					}
					// The host can slow down between the probe and the
					// run: a reader that falls behind receives more than
					// it decodes and the surplus is charged to the frames
					// decoded. Measure again just below the rate it kept.
					wall := float64(m.Frames) / m.WallS
					if !rc.atCapacity || wall >= 0.98*speed*25 {
						break
					}
					if attempt == 2 {
						fmt.Fprintf(os.Stderr, "%s: decoded %.0f frames per second paced at %.0f: the reader fell behind (surplus received and charged)\n", c.name, wall, speed*25)
						break
					}
					fmt.Fprintf(os.Stderr, "%s: decoded %.0f frames per second paced at %.0f: fell behind, measuring again at %.0f\n", c.name, wall, speed*25, *below*wall)
					speed = *below * wall / 25
				}
				rate := float64(m.Frames) / m.CPUS
				*rc.rates, *rc.ratios = append(*rc.rates, rate), append(*rc.ratios, rate/ffRate)
			}
			fmt.Fprintf(os.Stderr, "%s run %d: rtsp at capacity %.0f (every frame scaled), %.0f (sample_fps %g), ffmpeg %.0f; %gx pace: %.0f (1 camera), %.0f (3 cameras) fps/CPU-s\n",
				c.name, r+1, ra[r], rd[r], *sample, rf[r], *speed, r1[r], r3[r])
		}
		f := median(ff)
		var qvs []float64
		for i := range ra {
			qvs = append(qvs, ra[i]/rf[i])
		}
		fmt.Fprintf(&sb, "| %s | all | %.0f | %.0f | %.2f | %.0f | %.2f | %.0f | %.2f |\n", c.name, f, median(fl), median(qfl), median(ra), median(qra), median(wa), median(qwa))
		fmt.Fprintf(&sb, "| %s | sample_fps %g (default) | %.0f | %.0f | %.2f | %.0f | %.2f | %.0f | %.2f |\n", c.name, *sample, f, median(fd), median(qfd), median(rd), median(qrd), median(wd), median(qwd))
		fmt.Fprintf(&transport, "| %s | %.0f | %.0f | %.2f | %.0f | %.2f |\n", c.name, f, median(rf), median(qrf), median(ra), median(qvs))
		fmt.Fprintf(&paced, "| %s | %.0f | %.2f | %.0f | %.2f |\n", c.name, median(r1), median(qr1), median(r3), median(qr3))
	}
	sb.WriteString(transport.String())
	sb.WriteString(paced.String())
	// Real-time 1080p25 cameras: CPU and memory.
	var rss1, rss3, cpuAll, cpu5, cpuGo []float64
	for r := 0; r < *runs; r++ {
		sctx, cancel := context.WithCancel(ctx)
		srv, done := serve(sctx, short["1080p"].path, 1, true)
		one, err := child("cams", "-url", srv.URL(), "-n", "1", "-seconds", "6")
		if err == nil {
			var three, s5, plain measure
			three, err = child("cams", "-url", srv.URL(), "-n", "3", "-seconds", "6")
			if err == nil {
				s5, err = child("cams", "-url", srv.URL(), "-n", "1", "-seconds", "6", "-sample-fps", "5")
			}
			if err == nil {
				plain, err = childGODEBUG("", "cams", "-url", srv.URL(), "-n", "1", "-seconds", "6")
			}
			rss1 = append(rss1, float64(one.RSSKiB)/1024)
			rss3 = append(rss3, float64(three.RSSKiB)/1024)
			cpuAll = append(cpuAll, one.CPUS/one.WallS)
			cpu5 = append(cpu5, s5.CPUS/s5.WallS)
			cpuGo = append(cpuGo, plain.CPUS/plain.WallS)
		}
		cancel()
		<-done
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "1080p25 run %d: rss 1 cam %.1f MiB, 3 cams %.1f MiB, cpu %.3f (all frames scaled), %.3f (sample 5 fps), %.3f (all frames, Go's default GODEBUG)\n",
			r+1, rss1[r], rss3[r], cpuAll[r], cpu5[r], cpuGo[r])
	}
	fmt.Fprintf(&sb, "\n| real-time 1080p25 camera (RTSP/TCP loopback) | median |\n|---|---|\n")
	fmt.Fprintf(&sb, "| peak RSS, 1 camera (whole process) | %.1f MiB |\n", median(rss1))
	fmt.Fprintf(&sb, "| peak RSS, 3 cameras (whole process) | %.1f MiB |\n", median(rss3))
	fmt.Fprintf(&sb, "| peak RSS per extra camera ((3 - 1) / 2) | %.1f MiB |\n", (median(rss3)-median(rss1))/2)
	fmt.Fprintf(&sb, "| CPU, every frame decoded and scaled to 640 px | %.3f core |\n", median(cpuAll))
	fmt.Fprintf(&sb, "| CPU, every frame decoded, sample_fps 5 scaled | %.3f core |\n", median(cpu5))
	fmt.Fprintf(&sb, "| CPU, every frame decoded and scaled, Go's default GODEBUG (not the unit's %s) | %.3f core |\n", deployedGODEBUG, median(cpuGo))
	fmt.Print(sb.String())
	return nil
}

// steadyRate runs one side on the short and the long clip and returns its
// steady-state throughput: the long clip's extra frames per extra
// CPU-second. What both runs pay once (opening and probing the file,
// opening the decoder, first-touch page faults) cancels, for the ffmpeg
// CLI and for the pipeline alike; process start-up (about 0.15 CPU-s for a
// program linking all of Debian's FFmpeg libraries) is not in either
// side's figure to begin with.
func steadyRate(run func(clipFile) (measure, error), short, long clipFile) (float64, error) {
	a, err := run(short)
	if err != nil {
		return 0, err
	}
	b, err := run(long)
	if err != nil {
		return 0, err
	}
	if b.Frames <= a.Frames || b.CPUS <= a.CPUS {
		return 0, fmt.Errorf("steady rate: long clip run (%d frames, %.3f CPU-s) is not above the short one (%d, %.3f)", b.Frames, b.CPUS, a.Frames, a.CPUS)
	}
	return float64(b.Frames-a.Frames) / (b.CPUS - a.CPUS), nil
}

// Steady-state window of the RTSP throughput runs.
const (
	rtspSeconds = 5.0
	rtspWarmup  = 2.0
)

// rtspRun serves clip in a loop at speed and measures n cameras reading it
// in a child process, after a warm-up (connection, first-touch page faults
// of the image pool and decoder buffers), with a queue that absorbs the
// surplus of a replay faster than the decoder.
func rtspRun(ctx context.Context, clip string, speed float64, n int, sample float64) (measure, error) {
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv, done := serve(sctx, clip, speed, true)
	m, err := child("cams", "-url", srv.URL(), "-n", fmt.Sprint(n), "-seconds", fmt.Sprint(rtspSeconds), "-warmup", fmt.Sprint(rtspWarmup),
		"-queue", "4096", "-sample-fps", fmt.Sprint(sample))
	cancel()
	<-done
	return m, err
}

// rssSuite measures peak RSS per extra 1080p25 camera with extra flags.
func rssSuite(clip string, runs int, extra []string) error {
	var r1, r3 []float64
	for r := 0; r < runs; r++ {
		ctx, cancel := context.WithCancel(context.Background())
		srv, done := serve(ctx, clip, 1, true)
		one, err := child(append([]string{"cams", "-url", srv.URL(), "-n", "1", "-seconds", "6"}, extra...)...)
		var three measure
		if err == nil {
			three, err = child(append([]string{"cams", "-url", srv.URL(), "-n", "3", "-seconds", "6"}, extra...)...)
		}
		cancel()
		<-done
		if err != nil {
			return err
		}
		r1 = append(r1, float64(one.RSSKiB)/1024)
		r3 = append(r3, float64(three.RSSKiB)/1024)
	}
	fmt.Printf("| 1080p25 camera, cams flags %q | 1 camera %.1f MiB | 3 cameras %.1f MiB | per extra camera %.1f MiB |\n",
		strings.Join(extra, " "), median(r1), median(r3), (median(r3)-median(r1))/2)
	return nil
}

// probeCapacity runs one side paced at offered frames per second (above
// what it can take) and returns the rate it decoded at in wall time.
func probeCapacity(clip string, offered float64, run func(speed float64) (measure, error)) (float64, error) {
	m, err := run(offered / 25)
	if err != nil {
		return 0, err
	}
	if m.Frames <= 0 || m.WallS <= 0 {
		return 0, fmt.Errorf("capacity probe of %s: no frames decoded", clip)
	}
	return float64(m.Frames) / m.WallS, nil
}

// ffmpegRTSPRun serves clip in a loop at speed and measures the ffmpeg CLI
// reading it over RTSP/TCP (`ffmpeg -threads 1 -rtsp_transport tcp -i URL
// -f null -`) in the same window as rtspRun: its frame count from
// -progress, and its CPU time from /proc read as each progress report
// arrives, so that both belong to the same instant.
func ffmpegRTSPRun(ctx context.Context, clip string, speed float64) (measure, error) {
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	srv, done := serve(sctx, clip, speed, true)
	defer func() {
		cancel()
		<-done
	}()
	cmd := exec.CommandContext(sctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostats", "-stats_period", "0.1", "-progress", "pipe:1",
		"-threads", "1", "-rtsp_transport", "tcp", "-i", srv.URL(), "-f", "null", "-")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return measure{}, err
	}
	if err := cmd.Start(); err != nil {
		return measure{}, fmt.Errorf("ffmpeg: %w", err)
	}
	type sample struct {
		frames int64
		cpu    float64
		at     time.Time
	}
	samples := make(chan sample, 64)
	go func() {
		defer close(samples)
		sc := bufio.NewScanner(out)
		var frames int64
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "frame="); ok {
				frames, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			} else if strings.HasPrefix(line, "progress=") {
				if cpu, err := procCPU(cmd.Process.Pid); err == nil {
					samples <- sample{frames, cpu, time.Now()}
				}
			}
		}
	}()
	var (
		res          measure
		ok           bool
		first, start *sample
	)
	for smp := range samples {
		switch {
		case first == nil:
			if smp.frames > 0 {
				first = &smp
			}
		case start == nil:
			if smp.at.Sub(first.at).Seconds() >= rtspWarmup {
				start = &smp
			}
		case !ok && smp.at.Sub(start.at).Seconds() >= rtspSeconds:
			res = measure{Frames: smp.frames - start.frames, WallS: smp.at.Sub(start.at).Seconds(), CPUS: smp.cpu - start.cpu}
			ok = true
			cancel() // kills ffmpeg; the loop ends when its output does
		}
	}
	_ = cmd.Wait()
	if !ok {
		return measure{}, fmt.Errorf("ffmpeg through RTSP: no complete measurement window: %s", strings.TrimSpace(stderr.String()))
	}
	return res, nil
}

// procCPU is a process's user+system CPU time from /proc (clock ticks of
// 1/100 s, the value on every Linux architecture Go supports).
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which may contain spaces: state is
	// the first, utime the 12th and stime the 13th.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return (ut + st) / 100, nil
}
