package realollama

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ollama/ollama/api"
)

// Version is the Ollama release scripts/build_ollama.sh builds and this tier
// expects; it matches the github.com/ollama/ollama version in go.mod.
const Version = "0.6.5"

// BinaryEnv names the environment variable that points the tier at a
// specific `ollama` binary instead of the build script's cache.
const BinaryEnv = "ANYANOMALY_OLLAMA_BIN"

// Config says how to start `ollama serve`. The zero value starts the binary
// FindBinary returns with the server's own defaults.
type Config struct {
	// Binary is the path of the ollama executable; empty means FindBinary.
	Binary string
	// NumParallel sets OLLAMA_NUM_PARALLEL (slots per loaded model); 0 keeps
	// the server default.
	NumParallel int
	// MaxQueue sets OLLAMA_MAX_QUEUE (requests the scheduler holds before it
	// answers 503); 0 keeps the server default (512).
	MaxQueue int
	// KeepAlive sets OLLAMA_KEEP_ALIVE (e.g. "5m", "0"); empty keeps the
	// server default.
	KeepAlive string
	// Env holds extra KEY=VALUE entries for the server process.
	Env []string
	// StartTimeout bounds the wait for /api/version to answer; 0 means 60 s.
	StartTimeout time.Duration
}

// Server is a running `ollama serve` child process on a free loopback port
// with a private, temporary model store. Stop must be called to end it.
type Server struct {
	cmd    *exec.Cmd
	dir    string
	base   *url.URL
	client *api.Client
	log    *tailBuffer

	waitOnce sync.Once
	waitErr  error
	exited   chan struct{}
}

// ErrNoBinary is returned (wrapped) by FindBinary when no ollama binary of
// the expected version can be found.
var ErrNoBinary = errors.New("no ollama binary")

// FindBinary locates the ollama executable: $ANYANOMALY_OLLAMA_BIN if set,
// otherwise the cache path scripts/build_ollama.sh installs to.
func FindBinary() (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		if err := executable(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", BinaryEnv, p, err)
		}
		return p, nil
	}
	p, err := CachedBinaryPath()
	if err != nil {
		return "", err
	}
	if err := executable(p); err != nil {
		return "", fmt.Errorf("%w at %s (run scripts/build_ollama.sh or set %s): %v", ErrNoBinary, p, BinaryEnv, err)
	}
	return p, nil
}

// CachedBinaryPath is where scripts/build_ollama.sh keeps the binary:
// ${ANYANOMALY_OLLAMA_CACHE:-<user cache dir>/anyanomaly-ollama}/v<Version>/ollama.
func CachedBinaryPath() (string, error) {
	root := os.Getenv("ANYANOMALY_OLLAMA_CACHE")
	if root == "" {
		c, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("%w: locate cache directory: %v", ErrNoBinary, err)
		}
		root = filepath.Join(c, "anyanomaly-ollama")
	}
	return filepath.Join(root, "v"+Version, "ollama"), nil
}

func executable(p string) error {
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", p)
	}
	return nil
}

// Start launches `ollama serve` with HOME and OLLAMA_MODELS in a new
// temporary directory and waits until /api/version answers. The server
// never touches the user's own model store or keys.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	bin := cfg.Binary
	if bin == "" {
		var err error
		if bin, err = FindBinary(); err != nil {
			return nil, err
		}
	}
	// The free port is found by binding and releasing it, so another
	// process can take it before the server binds; try a new one then.
	for attempt := 1; ; attempt++ {
		s, err := start(ctx, cfg, bin)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return s, err
		}
	}
}

func start(ctx context.Context, cfg Config, bin string) (*Server, error) {
	dir, err := os.MkdirTemp("", "anyanomaly-ollama-")
	if err != nil {
		return nil, fmt.Errorf("start ollama: temp dir: %w", err)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start ollama: %w", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	env := []string{
		"HOME=" + dir,
		"PATH=" + os.Getenv("PATH"),
		"TMPDIR=" + dir,
		"OLLAMA_HOST=" + addr,
		"OLLAMA_MODELS=" + filepath.Join(dir, "models"),
		// Keep loads on the CPU even on a machine with a GPU, so that the
		// tier behaves the same everywhere.
		"CUDA_VISIBLE_DEVICES=",
		"HIP_VISIBLE_DEVICES=",
	}
	if cfg.NumParallel > 0 {
		env = append(env, "OLLAMA_NUM_PARALLEL="+strconv.Itoa(cfg.NumParallel))
	}
	if cfg.MaxQueue > 0 {
		env = append(env, "OLLAMA_MAX_QUEUE="+strconv.Itoa(cfg.MaxQueue))
	}
	if cfg.KeepAlive != "" {
		env = append(env, "OLLAMA_KEEP_ALIVE="+cfg.KeepAlive)
	}
	env = append(env, cfg.Env...)

	s := &Server{
		dir:    dir,
		base:   &url.URL{Scheme: "http", Host: addr},
		log:    newTailBuffer(256 << 10),
		exited: make(chan struct{}),
	}
	s.client = api.NewClient(s.base, &http.Client{})
	// exec.Command, not CommandContext: the server must outlive the start
	// context; Stop ends it.
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = env
	s.cmd.Dir = dir
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	// Its own process group, so Stop can also end the model runners the
	// server spawns if the server itself does not.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start ollama: %s serve: %w", bin, err)
	}
	go func() {
		// Reaps the child; Stop waits for this goroutine through exited.
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()

	timeout := cfg.StartTimeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	if err := s.waitReady(ctx, timeout); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("start ollama on %s: %w\nserver log tail:\n%s", addr, err, s.Log())
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		rctx, rcancel := context.WithTimeout(ctx, time.Second)
		_, err := s.client.Version(rctx)
		rcancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("server exited before answering: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("no answer from /api/version: %w (last error: %v)", ctx.Err(), err)
		case <-tick.C:
		}
	}
}

// URL is the server's base URL (http://127.0.0.1:PORT).
func (s *Server) URL() *url.URL { u := *s.base; return &u }

// Client is an Ollama API client bound to the server.
func (s *Server) Client() *api.Client { return s.client }

// ModelsDir is the server's private OLLAMA_MODELS directory.
func (s *Server) ModelsDir() string { return filepath.Join(s.dir, "models") }

// Log returns the tail of the server's combined stdout and stderr, for
// failure messages.
func (s *Server) Log() string { return s.log.String() }

// Stop asks the server to shut down (SIGTERM, which also unloads its
// runners), kills the process group if it has not exited within 10 s, and
// removes the temporary directory. It is safe to call more than once.
func (s *Server) Stop() error {
	var err error
	s.waitOnce.Do(func() {
		pgid := s.cmd.Process.Pid
		_ = syscall.Kill(pgid, syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			err = errors.New("ollama serve ignored SIGTERM for 10s; killed")
		}
		// Runners left behind by a crashed or killed server share its group.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.exited
		if rmErr := os.RemoveAll(s.dir); rmErr != nil && err == nil {
			err = fmt.Errorf("stop ollama: remove %s: %w", s.dir, rmErr)
		}
	})
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
