package vqa

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/anyanomaly/anyanomaly/internal/redact"
)

// Config configures one Ollama endpoint and model.
type Config struct {
	// URL is the Ollama base URL, e.g. http://127.0.0.1:11434.
	URL string
	// Model is the vision model to ask, e.g. qwen2.5vl:7b.
	Model string
	// Timeout bounds one question, retries included (default 60s).
	Timeout time.Duration
	// NumPredict caps the generated tokens (default 128).
	NumPredict int
	// Seed fixes sampling; with temperature 0 decoding is greedy (default 42).
	Seed int
	// KeepAlive asks Ollama to keep the model loaded (default 10m).
	KeepAlive time.Duration
	// Structured sends a JSON schema as the request format; replies that
	// ignore it are still parsed as text.
	Structured bool
	// Stream asks for a streamed (NDJSON) reply instead of a single object.
	Stream bool
	// MinBackoff and MaxBackoff bound the retry delay (defaults 100ms, 2s).
	MinBackoff, MaxBackoff time.Duration
}

// Deps are the client's collaborators.
type Deps struct {
	// Logger receives retry notices (default: discard).
	Logger *slog.Logger
	// Transport overrides the HTTP transport (default: a clone of
	// http.DefaultTransport).
	Transport http.RoundTripper
}

// Client asks one model on one Ollama endpoint. It is safe for concurrent
// use; concurrency limits belong to the caller (the detector's pool).
type Client struct {
	cfg       Config
	log       *slog.Logger
	base      *url.URL
	redacted  string
	transport http.RoundTripper
	api       *api.Client

	mu    sync.Mutex
	stats Stats
}

// Stats are a client's counters as plain values.
type Stats struct {
	// Calls counts HTTP chat requests sent (retries included).
	Calls uint64
	// Answers counts questions answered.
	Answers uint64
	// Retries counts repeated attempts.
	Retries uint64
	// Errors counts failed questions by class.
	Errors map[Class]uint64
	// ParseFailures counts replies without a usable number.
	ParseFailures uint64
	// InFlight is the number of questions being asked now.
	InFlight int
	// Latency is the histogram of answered questions' latencies.
	Latency Histogram
}

// New validates cfg and builds a client; it does no I/O.
func New(cfg Config, deps Deps) (*Client, error) {
	if cfg.Model == "" {
		return nil, errors.New("vqa: model is required")
	}
	u, err := redact.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("vqa: ollama URL: %w", err)
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("vqa: ollama URL %q: want http(s)://host:port", redact.URL(cfg.URL))
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.NumPredict <= 0 {
		cfg.NumPredict = 128
	}
	if cfg.Seed == 0 {
		cfg.Seed = 42
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 10 * time.Minute
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(2*time.Second, cfg.MinBackoff)
	}
	log := deps.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rt := deps.Transport
	if rt == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		rt = t
	}
	c := &Client{
		cfg:       cfg,
		log:       log,
		base:      u,
		redacted:  redact.URL(cfg.URL),
		transport: rt,
		stats:     Stats{Errors: map[Class]uint64{}, Latency: newHistogram()},
	}
	c.api = api.NewClient(u, &http.Client{Transport: statusRecorder{rt}})
	return c, nil
}

// URL is the endpoint with any password masked.
func (c *Client) URL() string { return c.redacted }

// Model is the model asked.
func (c *Client) Model() string { return c.cfg.Model }

// Structured reports whether structured output is requested.
func (c *Client) Structured() bool { return c.cfg.Structured }

// tokensPerBatchText is what one item of a batched answer costs the
// model: a quoted text of a few words, its score and the punctuation
// (about 10–12 tokens for a text of a few words, by estimate, not
// measured with a real tokenizer; rounded up).
const tokensPerBatchText = 16

// BatchLimit is how many texts one batched question may hold: the answer
// must fit NumPredict, or the texts at its end come back cut off, as parse
// failures scoring 0.
func (c *Client) BatchLimit() int { return max(1, c.cfg.NumPredict/tokensPerBatchText) }

// Close releases idle connections.
func (c *Client) Close() {
	if t, ok := c.transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// Stats returns a snapshot of the counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Errors = make(map[Class]uint64, len(c.stats.Errors))
	for k, v := range c.stats.Errors {
		s.Errors[k] = v
	}
	s.Latency = c.stats.Latency.clone()
	return s
}

// Check verifies that the endpoint answers and that the model is present
// and has the vision capability (via /api/show).
func (c *Client) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	holder := &statusHolder{}
	resp, err := c.api.Show(context.WithValue(ctx, statusKey{}, holder), &api.ShowRequest{Model: c.cfg.Model})
	if err != nil {
		e := c.classify(ctx, err, holder.get())
		e.Msg = fmt.Sprintf("check model %s at %s", c.cfg.Model, c.redacted)
		if e.Class == ClassModelNotFound {
			e.Msg = c.notFoundMsg()
		}
		return e
	}
	caps := make([]string, len(resp.Capabilities))
	for i, cp := range resp.Capabilities {
		caps[i] = string(cp)
	}
	// Ollama ≤ 0.6.x reports "vision" only for single-file vision models;
	// models whose vision lives in a projector (llava, minicpm-v, ...) show
	// it only through projector_info.
	if !slices.Contains(caps, "vision") && len(resp.ProjectorInfo) == 0 {
		return &Error{Class: ClassNotVision, URL: c.redacted, Model: c.cfg.Model,
			Msg: fmt.Sprintf("model %s at %s cannot read images (capabilities: %s): choose a vision model such as qwen2.5vl", c.cfg.Model, c.redacted, strings.Join(caps, ", "))}
	}
	return nil
}

func (c *Client) notFoundMsg() string {
	return fmt.Sprintf("model %s not found at %s: run `ollama pull %s`", c.cfg.Model, c.redacted, c.cfg.Model)
}

// Reply is a raw answer.
type Reply struct {
	Content  string
	Latency  time.Duration
	Attempts int
}

// Ask sends one image and prompt and returns the model's raw reply. format
// is sent as the request's format when not empty. Transient failures are
// retried with exponential backoff until the call's deadline.
func (c *Client) Ask(ctx context.Context, image []byte, prompt, format string) (Reply, error) {
	start := time.Now()
	c.mu.Lock()
	c.stats.InFlight++
	c.mu.Unlock()
	reply, err := c.ask(ctx, image, prompt, format)
	reply.Latency = time.Since(start)
	c.mu.Lock()
	c.stats.InFlight--
	if err != nil {
		c.stats.Errors[ClassOf(err)]++
	} else {
		c.stats.Answers++
		c.stats.Latency.observe(reply.Latency)
	}
	c.mu.Unlock()
	return reply, err
}

func (c *Client) ask(ctx context.Context, image []byte, prompt, format string) (Reply, error) {
	callCtx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	stream := c.cfg.Stream
	req := &api.ChatRequest{
		Model:     c.cfg.Model,
		Messages:  []api.Message{{Role: "user", Content: prompt, Images: []api.ImageData{image}}},
		Stream:    &stream,
		KeepAlive: &api.Duration{Duration: c.cfg.KeepAlive},
		Options: map[string]any{
			"temperature": 0,
			"seed":        c.cfg.Seed,
			"num_predict": c.cfg.NumPredict,
		},
	}
	if format != "" {
		req.Format = json.RawMessage(format)
	}
	backoff := c.cfg.MinBackoff
	var reply Reply
	var last *Error // the last transient failure, reported if the deadline ends the retries
	giveUp := func() error {
		last.Msg += fmt.Sprintf(" (gave up after %d attempts within %s)", reply.Attempts, c.cfg.Timeout)
		return last
	}
	for {
		reply.Attempts++
		if reply.Attempts > 1 {
			c.mu.Lock()
			c.stats.Retries++
			c.mu.Unlock()
		}
		content, err := c.once(callCtx, req)
		if err == nil {
			reply.Content = content
			return reply, nil
		}
		e := err.(*Error)
		if ctx.Err() != nil {
			return reply, &Error{Class: ClassCanceled, URL: c.redacted, Model: c.cfg.Model, Msg: fmt.Sprintf("ask %s at %s", c.cfg.Model, c.redacted), Err: ctx.Err()}
		}
		if e.Class == ClassTimeout && last != nil {
			return reply, giveUp()
		}
		if !retryable(e.Class) {
			return reply, e
		}
		last = e
		c.log.Debug("ollama call failed, retrying", "url", c.redacted, "model", c.cfg.Model, "attempt", reply.Attempts, "class", string(e.Class), "backoff", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-callCtx.Done():
			t.Stop()
			if ctx.Err() != nil {
				return reply, &Error{Class: ClassCanceled, URL: c.redacted, Model: c.cfg.Model, Msg: fmt.Sprintf("ask %s at %s", c.cfg.Model, c.redacted), Err: ctx.Err()}
			}
			return reply, giveUp()
		}
		backoff = min(2*backoff, c.cfg.MaxBackoff)
	}
}

// once makes one HTTP attempt.
func (c *Client) once(ctx context.Context, req *api.ChatRequest) (string, error) {
	c.mu.Lock()
	c.stats.Calls++
	c.mu.Unlock()
	holder := &statusHolder{}
	var sb strings.Builder
	done := false
	err := c.api.Chat(context.WithValue(ctx, statusKey{}, holder), req, func(r api.ChatResponse) error {
		sb.WriteString(r.Message.Content)
		if r.Done {
			done = true
		}
		return nil
	})
	status := holder.get()
	if err != nil {
		return "", c.classify(ctx, err, status)
	}
	if !done && ctx.Err() != nil && status >= 200 && status < 300 {
		// Ollama's client ignores the body's read error: a reply still
		// arriving at the deadline (a 2xx, no final answer yet) ends like
		// an empty one. An empty error response is empty_response below.
		return "", c.classify(ctx, ctx.Err(), status)
	}
	if !done {
		// The client returns no error and no callback when the body is
		// empty (e.g. a bare 500): the missing final response is the only
		// sign of failure.
		cls := ClassEmptyResponse
		if status >= 400 && status < 500 {
			cls = ClassBadRequest
		}
		return "", &Error{Class: cls, URL: c.redacted, Model: c.cfg.Model, Status: status,
			Msg: fmt.Sprintf("ask %s at %s: HTTP %d without a final answer", c.cfg.Model, c.redacted, status)}
	}
	return sb.String(), nil
}

// maskCause keeps the endpoint's credentials out of a cause's text.
// net/http's errors quote the request URL with the password as "***",
// which leaves it readable where the user name contains it
// ("admin:admin" prints as "admin:***"): the credentials are replaced
// verbatim as well, as the daemon's log redactor does.
func (c *Client) maskCause(err error) error {
	if err == nil {
		return nil
	}
	return redact.Wrap(err, redact.Text(err.Error(), redact.Credentials(c.cfg.URL)))
}

// classify maps an api error plus the recorded HTTP status to a class.
func (c *Client) classify(ctx context.Context, err error, status int) *Error {
	e := &Error{URL: c.redacted, Model: c.cfg.Model, Status: status, Err: c.maskCause(err),
		Msg: fmt.Sprintf("ask %s at %s", c.cfg.Model, c.redacted)}
	if se, ok := errors.AsType[api.StatusError](err); ok && status == 0 {
		status = se.StatusCode
		e.Status = status
	}
	switch {
	case status == http.StatusNotFound && !strings.Contains(strings.ToLower(err.Error()), "model"):
		// Ollama's 404s name the model ("model 'x' not found"); a plain
		// 404 page means no Ollama API at this URL (wrong path, proxy).
		e.Class = ClassBadRequest
		e.Msg += fmt.Sprintf(": HTTP 404 without Ollama's JSON: no Ollama API at %s (check the URL's path)", c.redacted)
	case status == http.StatusNotFound:
		e.Class = ClassModelNotFound
		e.Msg = c.notFoundMsg()
		e.Err = nil
	case status >= 500:
		e.Class = ClassUnavailable
		e.Msg += fmt.Sprintf(": HTTP %d", status)
	case status >= 400:
		e.Class = ClassBadRequest
		e.Msg += fmt.Sprintf(": HTTP %d", status)
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		e.Class = ClassTimeout
		e.Msg += fmt.Sprintf(": no answer within %s", c.cfg.Timeout)
	case ctx.Err() != nil:
		e.Class = ClassCanceled
	case status == 0:
		// No response at all: refused, reset, DNS, ...
		e.Class = ClassUnavailable
	case errors.Is(err, io.ErrUnexpectedEOF):
		e.Class = ClassEmptyResponse
	default:
		e.Class = ClassProtocol
	}
	return e
}

// statusRecorder notes each response's status in the holder carried by the
// request's context, because the api client turns error bodies into plain
// errors and loses the status.
type statusRecorder struct{ next http.RoundTripper }

type statusKey struct{}

type statusHolder struct {
	mu     sync.Mutex
	status int
}

func (h *statusHolder) get() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.status
}

func (r statusRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err == nil {
		if h, ok := req.Context().Value(statusKey{}).(*statusHolder); ok {
			h.mu.Lock()
			h.status = resp.StatusCode
			h.mu.Unlock()
		}
	}
	return resp, err
}

// Load asks Ollama to load the model (a chat request without messages)
// and waits up to timeout for it. Ollama aborts a load when the request
// that started it goes away, so a cold start longer than the per-question
// Timeout would otherwise be restarted and aborted by every question.
func (c *Client) Load(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stream := false
	holder := &statusHolder{}
	err := c.api.Chat(context.WithValue(ctx, statusKey{}, holder), &api.ChatRequest{Model: c.cfg.Model, Stream: &stream,
		KeepAlive: &api.Duration{Duration: c.cfg.KeepAlive}}, func(api.ChatResponse) error { return nil })
	if err != nil {
		e := c.classify(ctx, err, holder.get())
		e.Msg = fmt.Sprintf("load model %s at %s", c.cfg.Model, c.redacted)
		return e
	}
	return nil
}
