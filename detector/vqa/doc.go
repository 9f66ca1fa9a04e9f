// Package vqa asks a vision-language model served by Ollama how strongly an
// image shows a text (method §7): it writes the prompts, talks to Ollama
// through github.com/ollama/ollama/api only, classifies failures, retries
// the transient ones and turns the model's free-form reply into a score.
package vqa
