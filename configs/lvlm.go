package configs

// LVLM configures the vision-language model side.
type LVLM struct {
	// Endpoints are the Ollama servers the detector pool dispatches to.
	Endpoints []Endpoint `yaml:"endpoints" json:"endpoints"`
	// PromptVariant is simple, reasoning, consideration or both.
	PromptVariant string `yaml:"prompt_variant" json:"prompt_variant"`
	// Batching asks about all texts of a camera in one call per context.
	Batching bool `yaml:"batching" json:"batching"`
	// QueueSize bounds the segments waiting for an LVLM call; the oldest
	// is dropped when it is full.
	QueueSize int `yaml:"queue_size" json:"queue_size"`
	// MaxTokens caps the tokens generated per answer (num_predict).
	MaxTokens int `yaml:"max_tokens" json:"max_tokens"`
}

// Endpoint is one Ollama server.
type Endpoint struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:11434.
	URL SecretURL `yaml:"url" json:"url"`
	// Model is a vision model available there, e.g. qwen2.5vl:3b.
	Model string `yaml:"model" json:"model"`
	// Concurrency is how many calls run at once on this endpoint.
	Concurrency int `yaml:"concurrency" json:"concurrency"`
	// Timeout bounds one call, retries included.
	Timeout Duration `yaml:"timeout" json:"timeout"`
	// KeepAlive is passed to Ollama (how long the model stays loaded);
	// negative keeps it loaded forever.
	KeepAlive Duration `yaml:"keep_alive" json:"keep_alive"`
	// StructuredOutput requests a JSON {score, reason} answer.
	StructuredOutput bool `yaml:"structured_output" json:"structured_output"`
}
