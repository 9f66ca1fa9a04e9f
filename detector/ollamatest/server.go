package ollamatest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // Ollama accepts JPEG and PNG images
	_ "image/png"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ollama/ollama/api"
	"github.com/ollama/ollama/types/model"
)

// Fault is an injected failure of /api/chat.
type Fault string

// The faults. Each mimics what a real server (or a broken one) sends.
const (
	// FaultNone answers normally.
	FaultNone Fault = ""
	// FaultModelNotFound answers 404 as Ollama does for a model not pulled.
	FaultModelNotFound Fault = "404"
	// Fault500 answers 500 with an error body.
	Fault500 Fault = "500"
	// Fault500Empty answers 500 with an empty body.
	Fault500Empty Fault = "500-empty"
	// FaultHang never answers (until the client gives up or Close).
	FaultHang Fault = "hang"
	// FaultGarbage answers 200 with broken, number-free text.
	FaultGarbage Fault = "garbage"
	// FaultNoNumber answers 200 with a fluent sentence without a number.
	FaultNoNumber Fault = "no-number"
)

// errBadImage is Ollama v0.6.5's error for an image it cannot decode,
// word for word (capital and newline included) as clients see it.
//
//lint:ignore ST1005 the text must match the real server's
var errBadImage = errors.New("Failed to create new sequence: failed to process inputs: unable to make llava embedding from image\n")

// BusyMessage is Ollama v0.6.5's error text when its request queue is full
// (server/sched.go ErrMaxQueue), sent with status 503.
const BusyMessage = "server busy, please try again.  maximum pending requests exceeded"

// DefaultModel is the vision model served when Options.Models is empty.
const DefaultModel = "llava:latest"

// DefaultQueue is OLLAMA_MAX_QUEUE's default in v0.6.5, the intake bound
// when Options.Queue is 0.
const DefaultQueue = 512

// DefaultIntake is the scheduler's time per request when Options.Intake is
// 0. It stands in for v0.6.5's health check of the loaded runner; a few
// milliseconds make a simultaneous burst overflow a small queue, as it does
// on the real server, while requests arriving further apart never do.
const DefaultIntake = 2 * time.Millisecond

// Options configure a Server.
type Options struct {
	// Latency is how long each chat request takes to answer.
	Latency time.Duration
	// Concurrency is how many chat requests are answered at once, like
	// OLLAMA_NUM_PARALLEL (0 = unlimited: nothing waits, nothing is
	// refused, Queue and Intake are ignored). Beyond it, requests queue as
	// in Ollama v0.6.5 (docs/real-ollama.md): they wait in an intake of
	// Queue places until a single scheduler takes them, one at a time, for
	// Intake each; a scheduled request then waits without bound for a
	// slot. Only a burst that outruns the scheduler gets 503 with
	// BusyMessage; requests arriving spaced out all wait and are answered.
	Concurrency int
	// Queue is OLLAMA_MAX_QUEUE: how many requests may wait to be scheduled
	// (0 = DefaultQueue). With StrictQueue it is instead how many may wait
	// for a slot (0 = none).
	Queue int
	// Intake is how long the scheduler spends on each request (0 =
	// DefaultIntake). Ignored with StrictQueue.
	Intake time.Duration
	// StrictQueue is a deliberate departure from Ollama, only for tests
	// that inject busy answers: Concurrency+Queue bound the requests in
	// the server and every request beyond them gets 503 at once, so a
	// second concurrent request at Concurrency 1 is refused — which a real
	// server with its model loaded never does.
	StrictQueue bool
	// Models maps model names to capabilities (default: DefaultModel with
	// completion and vision). A name without a tag also matches ":latest".
	// The pseudo-capability "projector" makes a LLaVA-style model as Ollama
	// 0.6.x shows it: not listed, but reported through projector_info.
	Models map[string][]string
	// Fault is injected into chat requests: all of them, or only the first
	// FaultCount when FaultCount > 0.
	Fault      Fault
	FaultCount int
	// Perceive scores an image for a prompt (default: DefaultPerceive).
	Perceive func(img image.Image, prompt string) (score float64, reason string)
	// Version is reported by /api/version (default "0.6.5").
	Version string
}

// Stats are the server's counters.
type Stats struct {
	// ByPath counts requests per URL path.
	ByPath map[string]int
	// ByModel counts chat requests per model.
	ByModel map[string]int
	// Busy counts chat requests refused with 503.
	Busy int
	// Pending is the number of requests waiting to be scheduled,
	// Scheduling 1 while the scheduler is busy with one, and Waiting the
	// number scheduled and waiting for a slot. With StrictQueue, requests
	// wait for a slot directly: Pending and Scheduling stay 0.
	Pending, Scheduling, Waiting int
	// InFlight is the number of chat requests being served; MaxInFlight its
	// peak.
	InFlight, MaxInFlight int
	// Images counts images received and decoded.
	Images int
}

// Server is a running fake Ollama on loopback.
type Server struct {
	opts  Options
	ts    *httptest.Server
	slots chan struct{}
	queue chan struct{} // requests waiting to be scheduled; with StrictQueue, all requests in the server
	sched chan struct{} // the scheduler, busy with one request (nil with StrictQueue)
	done  chan struct{}
	close sync.Once

	mu         sync.Mutex
	stats      Stats
	faultsUsed int
	fault      Fault
	faultCount int
}

// New starts a server.
func New(opts Options) *Server {
	if len(opts.Models) == 0 {
		opts.Models = map[string][]string{DefaultModel: {"completion", "vision"}}
	}
	if opts.Perceive == nil {
		opts.Perceive = DefaultPerceive
	}
	if opts.Version == "" {
		opts.Version = "0.6.5"
	}
	s := &Server{
		opts:       opts,
		done:       make(chan struct{}),
		stats:      Stats{ByPath: map[string]int{}, ByModel: map[string]int{}},
		fault:      opts.Fault,
		faultCount: opts.FaultCount,
	}
	switch {
	case opts.Concurrency <= 0:
	case opts.StrictQueue:
		s.slots = make(chan struct{}, opts.Concurrency)
		s.queue = make(chan struct{}, opts.Concurrency+max(opts.Queue, 0))
	default:
		if opts.Queue <= 0 {
			s.opts.Queue = DefaultQueue
		}
		if opts.Intake <= 0 {
			s.opts.Intake = DefaultIntake
		}
		s.slots = make(chan struct{}, opts.Concurrency)
		s.queue = make(chan struct{}, s.opts.Queue)
		s.sched = make(chan struct{}, 1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.root)
	mux.HandleFunc("/api/version", s.version)
	mux.HandleFunc("/api/tags", s.tags)
	mux.HandleFunc("/api/show", s.show)
	mux.HandleFunc("/api/chat", s.chat)
	s.ts = httptest.NewServer(s.count(mux))
	return s
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.ts.URL }

// Close stops the server, releasing hung requests first.
func (s *Server) Close() {
	s.close.Do(func() {
		close(s.done)
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// SetFault changes the injected fault: every later chat request, or only the
// next count when count > 0.
func (s *Server) SetFault(f Fault, count int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.faultCount, s.faultsUsed = f, count, 0
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.ByPath = make(map[string]int, len(s.stats.ByPath))
	for k, v := range s.stats.ByPath {
		out.ByPath[k] = v
	}
	out.ByModel = make(map[string]int, len(s.stats.ByModel))
	for k, v := range s.stats.ByModel {
		out.ByModel[k] = v
	}
	return out
}

// Requests is the number of requests received on path.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats.ByPath[path]
}

func (s *Server) count(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.stats.ByPath[r.URL.Path]++
		s.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func errorBody(msg string) map[string]string { return map[string]string{"error": msg} }

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		fmt.Fprint(w, "Ollama is running")
	}
}

func (s *Server) version(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"version": s.opts.Version})
}

// lookup resolves a model name the way Ollama does for the common case: a
// missing tag means ":latest", names compare case-insensitively.
func (s *Server) lookup(name string) (string, []string, bool) {
	want := strings.ToLower(name)
	if !strings.Contains(want, ":") {
		want += ":latest"
	}
	for n, caps := range s.opts.Models {
		m := strings.ToLower(n)
		if !strings.Contains(m, ":") {
			m += ":latest"
		}
		if m == want {
			return n, caps, true
		}
	}
	return "", nil, false
}

func (s *Server) tags(w http.ResponseWriter, _ *http.Request) {
	var out api.ListResponse
	out.Models = []api.ListModelResponse{}
	for n := range s.opts.Models {
		out.Models = append(out.Models, api.ListModelResponse{Name: n, Model: n, ModifiedAt: time.Unix(0, 0).UTC(), Digest: "0000"})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	var req api.ShowRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody(err.Error()))
		return
	}
	name := req.Model
	if name == "" {
		name = req.Name //lint:ignore SA1019 older clients still send the deprecated field, and the real server accepts it
	}
	if name == "" {
		writeJSON(w, http.StatusBadRequest, errorBody("model is required"))
		return
	}
	_, caps, ok := s.lookup(name)
	if !ok {
		writeJSON(w, http.StatusNotFound, errorBody(fmt.Sprintf("model '%s' not found", name)))
		return
	}
	resp := api.ShowResponse{Details: api.ModelDetails{Format: "gguf", Family: "fake"}}
	for _, c := range caps {
		if c == "projector" {
			resp.ProjectorInfo = map[string]any{"general.architecture": "clip", "clip.has_vision_encoder": true}
			continue
		}
		resp.Capabilities = append(resp.Capabilities, model.Capability(c))
	}
	writeJSON(w, http.StatusOK, resp)
}

// nextFault consumes one injected fault, if any is left.
func (s *Server) nextFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fault == FaultNone {
		return FaultNone
	}
	if s.faultCount > 0 && s.faultsUsed >= s.faultCount {
		return FaultNone
	}
	s.faultsUsed++
	return s.fault
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var req api.ChatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, errorBody(err.Error()))
		return
	}
	s.mu.Lock()
	s.stats.ByModel[req.Model]++
	s.mu.Unlock()
	if req.Model == "" {
		writeJSON(w, http.StatusBadRequest, errorBody("model is required"))
		return
	}
	if len(req.Messages) == 0 {
		// Ollama's way to load a model without asking anything.
		if _, _, ok := s.lookup(req.Model); !ok {
			writeJSON(w, http.StatusNotFound, errorBody(fmt.Sprintf("model %q not found, try pulling it first", req.Model)))
			return
		}
		writeJSON(w, http.StatusOK, api.ChatResponse{Model: req.Model, CreatedAt: time.Now().UTC(), Message: api.Message{Role: "assistant"}, DoneReason: "load", Done: true})
		return
	}
	fault := s.nextFault()
	if _, _, ok := s.lookup(req.Model); !ok || fault == FaultModelNotFound {
		writeJSON(w, http.StatusNotFound, errorBody(fmt.Sprintf("model %q not found, try pulling it first", req.Model)))
		return
	}
	if !s.acquire(w, r) {
		return
	}
	defer s.release()

	switch fault {
	case Fault500:
		writeJSON(w, http.StatusInternalServerError, errorBody("llama runner process has terminated: exit status 2"))
		return
	case Fault500Empty:
		w.WriteHeader(http.StatusInternalServerError)
		return
	case FaultHang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return
	}
	// Look first, then wait out the rest of the latency, so that a call
	// takes Latency however long the perception took.
	start := time.Now()
	content, err := s.answer(&req, fault)
	if !s.wait(r, s.opts.Latency-time.Since(start)) {
		return
	}
	if err != nil {
		// Ollama v0.6.5 answers an undecodable image with a 500.
		writeJSON(w, http.StatusInternalServerError, errorBody(err.Error()))
		return
	}
	s.reply(w, &req, content)
}

// acquire takes a serving slot, queueing as configured; it answers 503
// itself when the queue is full.
func (s *Server) acquire(w http.ResponseWriter, r *http.Request) bool {
	if s.slots == nil {
		s.add(&s.stats.InFlight, 1)
		return true
	}
	select {
	case s.queue <- struct{}{}:
	default:
		s.add(&s.stats.Busy, 1)
		writeJSON(w, http.StatusServiceUnavailable, errorBody(BusyMessage))
		return false
	}
	if s.sched != nil && !s.schedule(r) {
		return false
	}
	s.add(&s.stats.Waiting, 1)
	select {
	case s.slots <- struct{}{}:
		s.mu.Lock()
		s.stats.Waiting--
		s.stats.InFlight++
		s.stats.MaxInFlight = max(s.stats.MaxInFlight, s.stats.InFlight)
		s.mu.Unlock()
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	s.add(&s.stats.Waiting, -1)
	s.leaveQueue()
	return false
}

func (s *Server) release() {
	s.add(&s.stats.InFlight, -1)
	if s.slots != nil {
		<-s.slots
		s.leaveQueue()
	}
}

// add changes one counter; InFlight also moves its peak.
func (s *Server) add(counter *int, d int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*counter += d
	s.stats.MaxInFlight = max(s.stats.MaxInFlight, s.stats.InFlight)
}

// schedule passes a queued request through the single scheduler: the
// request leaves the queue when the scheduler takes it, as one leaves
// Ollama's pending channel, and holds the scheduler for Intake.
func (s *Server) schedule(r *http.Request) bool {
	s.add(&s.stats.Pending, 1)
	select {
	case s.sched <- struct{}{}:
	case <-r.Context().Done():
		<-s.queue
		s.add(&s.stats.Pending, -1)
		return false
	case <-s.done:
		<-s.queue
		s.add(&s.stats.Pending, -1)
		return false
	}
	// The place is free before the counters say so, so that a test that
	// sees Pending 0 can count on it.
	<-s.queue
	s.mu.Lock()
	s.stats.Pending--
	s.stats.Scheduling++
	s.mu.Unlock()
	ok := s.wait(r, s.opts.Intake)
	s.add(&s.stats.Scheduling, -1)
	<-s.sched
	return ok
}

// leaveQueue frees the request's place in the server (StrictQueue); in
// Ollama's model the scheduler freed its intake place already.
func (s *Server) leaveQueue() {
	if s.sched == nil {
		<-s.queue
	}
}

func (s *Server) wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

// answer builds the reply text: the perception's verdict on the last
// image, shaped by the request's format.
func (s *Server) answer(req *api.ChatRequest, fault Fault) (string, error) {
	switch fault {
	case FaultGarbage:
		return "\x00\xff<<~~ }{ ]] ?? \xfe", nil
	case FaultNoNumber:
		return "I am not able to tell from this picture.", nil
	}
	var img image.Image
	prompt := ""
	// Like Ollama v0.6.5, a model that cannot read images answers without
	// them: the runner drops the image silently (no error, 200).
	_, caps, _ := s.lookup(req.Model)
	sees := slices.Contains(caps, "vision") || slices.Contains(caps, "projector")
	for i := len(req.Messages) - 1; i >= 0 && img == nil && sees; i-- {
		m := req.Messages[i]
		if prompt == "" {
			prompt = m.Content
		}
		if len(m.Images) > 0 {
			decoded, _, err := image.Decode(bytes.NewReader(m.Images[len(m.Images)-1]))
			if err != nil {
				return "", errBadImage
			}
			img = decoded
			prompt = m.Content
			s.mu.Lock()
			s.stats.Images++
			s.mu.Unlock()
		}
	}
	if img == nil {
		return "There is no picture to look at, so 0.0.", nil
	}
	score, reason := s.opts.Perceive(img, prompt)
	score = max(0, min(1, score))
	// A batched question is answered item by item: each property of the
	// schema is perceived as if it were the prompt, so a Perceive that
	// reads the prompt can tell the texts of a batch apart.
	perItem := func(item string) float64 {
		v, _ := s.opts.Perceive(img, item)
		return max(0, min(1, v))
	}
	return shape(req.Format, score, reason, perItem), nil
}

// shape writes the answer as text, as the {score, reason} object, or as an
// object of one score per property of the requested schema (batching),
// each scored by perItem.
func shape(format json.RawMessage, score float64, reason string, perItem func(string) float64) string {
	f := bytes.TrimSpace(format)
	if len(f) == 0 || string(f) == "null" {
		return fmt.Sprintf("%.1f - %s", score, reason)
	}
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(f, &schema) == nil && len(schema.Properties) > 0 {
		if _, ok := schema.Properties["score"]; !ok {
			obj := map[string]float64{}
			for k := range schema.Properties {
				obj[k] = round1(perItem(k))
			}
			b, _ := json.Marshal(obj)
			return string(b)
		}
	}
	b, _ := json.Marshal(map[string]any{"score": round1(score), "reason": reason})
	return string(b)
}

func round1(v float64) float64 { return float64(int(v*10+0.5)) / 10 }

// reply sends content as one object or as NDJSON chunks, as asked.
func (s *Server) reply(w http.ResponseWriter, req *api.ChatRequest, content string) {
	now := time.Now().UTC()
	// Like Ollama, stop at num_predict "tokens" (here: chunks) and say
	// "length"; report the prompt's size as its evaluated token count.
	pieces := chunks(content)
	reason := "stop"
	if n, ok := req.Options["num_predict"].(float64); ok && n > 0 && len(pieces) > int(n) {
		pieces, reason = pieces[:int(n)], "length"
		content = strings.Join(pieces, "")
	}
	promptTokens := 0
	for _, m := range req.Messages {
		promptTokens += len(chunks(m.Content)) + len(m.Images)
	}
	final := api.ChatResponse{
		Model: req.Model, CreatedAt: now, Done: true, DoneReason: reason,
		Message: api.Message{Role: "assistant"},
		Metrics: api.Metrics{TotalDuration: s.opts.Latency, EvalCount: len(pieces), PromptEvalCount: max(promptTokens, 1)},
	}
	if req.Stream != nil && !*req.Stream {
		final.Message.Content = content
		writeJSON(w, http.StatusOK, final)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	flusher, _ := w.(http.Flusher)
	for _, chunk := range pieces {
		_ = enc.Encode(api.ChatResponse{Model: req.Model, CreatedAt: now, Message: api.Message{Role: "assistant", Content: chunk}})
		if flusher != nil {
			flusher.Flush()
		}
	}
	_ = enc.Encode(final)
}

// chunks splits text into token-like pieces that concatenate back to it.
func chunks(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s[1:], " {\":,")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}
