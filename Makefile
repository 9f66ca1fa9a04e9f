# AnyAnomaly — see README.md. `make demo` and `make test` are the two front doors.
GO ?= go
BIN ?= bin/anyanomaly
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/anyanomaly/anyanomaly/cmd/anyanomaly/cli.Version=$(VERSION)
PREFIX ?= /usr/local

.PHONY: all setup build test test-short vet lint bench fuzz demo install clean

all: build

setup:
	./scripts/setup.sh

build: setup
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/anyanomaly

vet:
	$(GO) vet ./...

# staticcheck, pinned, from the module proxy (go run leaves go.mod alone).
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	$(GO) run $(STATICCHECK) ./...

# The test command: README and .ci/run use exactly this. It also builds (or
# reuses, cached outside the repo) a CPU-only ollama v0.6.5 so that the
# real-Ollama tier runs instead of skipping (docs/real-ollama.md).
test: setup
	./scripts/build_ollama.sh >/dev/null
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	ANYANOMALY_REQUIRE_REAL_OLLAMA=1 $(GO) test -race -count=1 -timeout 25m ./...
	@ANYANOMALY_REQUIRE_REAL_OLLAMA=1 $(GO) test -count=1 -v -run 'TestRealOllamaProtocol/version$$' ./detector/ollamatest/realollama/ | grep -i 'server version'

test-short:
	$(GO) test -short -count=1 ./...

bench: setup
	./scripts/bench.sh

fuzz:
	./scripts/fuzz.sh

demo: build
	./scripts/demo.sh

# Install for systemd: binary, unit (ExecStart rewritten for PREFIX), CUDA
# drop-in and examples under share/doc, /etc/anyanomaly with an example
# config.yaml (never overwritten) and a root-only credentials directory.
# Honours DESTDIR (staging) and PREFIX. Builds first if the binary is missing.
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
UNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR ?= $(PREFIX)/share/doc/anyanomaly
CONFDIR ?= /etc/anyanomaly

install:
	test -x $(BIN) || $(MAKE) build
	install -D -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/anyanomaly
	install -d -m 0755 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DOCDIR)/examples
	sed 's|/usr/local/bin/anyanomaly|$(BINDIR)/anyanomaly|g' systemd/anyanomaly.service > $(DESTDIR)$(UNITDIR)/anyanomaly.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/anyanomaly.service
	install -m 0644 systemd/anyanomaly.service.d/cuda.conf systemd/README.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 configs/examples/*.yaml $(DESTDIR)$(DOCDIR)/examples/
	install -d -m 0755 $(DESTDIR)$(CONFDIR)
	install -d -m 0700 $(DESTDIR)$(CONFDIR)/credentials
	test -e $(DESTDIR)$(CONFDIR)/config.yaml || install -m 0644 configs/examples/systemd.yaml $(DESTDIR)$(CONFDIR)/config.yaml
	@echo "installed; next: edit $(CONFDIR)/config.yaml, add credentials, then"
	@echo "  systemctl daemon-reload && systemctl enable --now anyanomaly"

clean:
	rm -rf bin

# Synthetic benchmark of the evaluation protocol (docs/eval.md): prints the
# table of what PC and TC add on generated scenes, scored via a fake Ollama.
.PHONY: eval-synthetic
eval-synthetic:
	$(GO) test -count=1 -run 'TestSyntheticBenchmark' -v ./detector/eval/
