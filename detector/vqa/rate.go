package vqa

import (
	"context"
	"time"
)

// Rate asks how strongly image shows what prompt asks about and parses the
// reply. With Config.Structured the {score, reason} schema is sent.
func (c *Client) Rate(ctx context.Context, image []byte, prompt string) (Answer, time.Duration, error) {
	format := ""
	if c.cfg.Structured {
		format = ScoreSchema
	}
	r, err := c.Ask(ctx, image, prompt, format)
	if err != nil {
		return Answer{}, r.Latency, err
	}
	a := Parse(r.Content)
	if a.ParseFailed {
		c.countParseFailures(1)
	}
	return a, r.Latency, nil
}

// RateBatch asks about several texts at once; prompt should come from
// Prompt.Batch. The batch schema (one number per text) is always sent as
// the format, whatever Config.Structured says, because a batched answer is
// only usable as JSON; replies that ignore it are still searched for
// "text: number" pairs.
func (c *Client) RateBatch(ctx context.Context, image []byte, prompt string, texts []string) ([]Answer, time.Duration, error) {
	r, err := c.Ask(ctx, image, prompt, BatchSchema(texts))
	if err != nil {
		return nil, r.Latency, err
	}
	out := ParseBatch(r.Content, texts)
	n := 0
	for _, a := range out {
		if a.ParseFailed {
			n++
		}
	}
	c.countParseFailures(n)
	return out, r.Latency, nil
}

func (c *Client) countParseFailures(n int) {
	if n == 0 {
		return
	}
	c.mu.Lock()
	c.stats.ParseFailures += uint64(n)
	c.mu.Unlock()
}
