package realollama

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/ollama/ollama/api"
)

// Names under which CreateTinyModels registers the generated models.
const (
	// TextModel has the text weights only: /api/show reports capabilities
	// ["completion"] and no projector, so a vision check must refuse it.
	TextModel = "anyanomaly-tiny-text:latest"
	// VisionModel has the same text weights plus a CLIP projector, the way
	// LLaVA-family models are packaged: the server really encodes images.
	VisionModel = "anyanomaly-tiny-vision:latest"
)

// chatTemplate renders chat messages as plain "role: content" lines. The
// tiny models were never trained on any format, so the template only needs
// to be valid; a template that ranges over .Messages is what current chat
// models ship, and keeps the server off its legacy prompt path.
const chatTemplate = `{{- range .Messages }}{{ .Role }}: {{ .Content }}
{{ end }}assistant: `

// File is one GGUF file to upload: the name the server records (it must end
// in .gguf) and its bytes.
type File struct {
	// Name is the file name the server records; it must end in .gguf.
	Name string
	// Data is the GGUF content.
	Data []byte
}

// CreateModel uploads the files as blobs and registers a model named name
// from them with the chat template above, the /api/create equivalent of
// `ollama create NAME -f Modelfile` with one FROM line per file.
func (s *Server) CreateModel(ctx context.Context, name string, files ...File) error {
	return CreateModel(ctx, s.client, name, files...)
}

// CreateModel does what Server.CreateModel does against any Ollama server.
func CreateModel(ctx context.Context, c *api.Client, name string, files ...File) error {
	digests := make(map[string]string, len(files))
	for _, f := range files {
		d := fmt.Sprintf("sha256:%x", sha256.Sum256(f.Data))
		if err := c.CreateBlob(ctx, d, bytes.NewReader(f.Data)); err != nil {
			return fmt.Errorf("create model %s: upload %s: %w", name, f.Name, err)
		}
		digests[f.Name] = d
	}
	stream := false
	req := &api.CreateRequest{Model: name, Files: digests, Template: chatTemplate, Stream: &stream,
		// One thread: the tiny model's work is far too small to share, and
		// llama.cpp's threads spin-wait on each other, which on a busy
		// 2-core CI box turns milliseconds into seconds.
		Parameters: map[string]any{"num_thread": 1}}
	var last string
	err := c.Create(ctx, req, func(p api.ProgressResponse) error {
		last = p.Status
		return nil
	})
	if err != nil {
		return fmt.Errorf("create model %s: %w", name, err)
	}
	if last != "success" {
		return fmt.Errorf("create model %s: server ended with status %q, want \"success\"", name, last)
	}
	return nil
}

// TinyFiles generates the tiny text model and projector in memory.
func TinyFiles(seed uint64) (text, projector File, err error) {
	var tb, pb bytes.Buffer
	if err := WriteTextModel(&tb, seed); err != nil {
		return File{}, File{}, fmt.Errorf("tiny text model: %w", err)
	}
	if err := WriteProjector(&pb, seed); err != nil {
		return File{}, File{}, fmt.Errorf("tiny projector: %w", err)
	}
	return File{Name: "tiny-text.gguf", Data: tb.Bytes()},
		File{Name: "tiny-projector.gguf", Data: pb.Bytes()}, nil
}

// CreateTinyModels registers TextModel and VisionModel on the server.
func (s *Server) CreateTinyModels(ctx context.Context) error {
	text, proj, err := TinyFiles(1)
	if err != nil {
		return err
	}
	if err := s.CreateModel(ctx, TextModel, text); err != nil {
		return err
	}
	return s.CreateModel(ctx, VisionModel, text, proj)
}
