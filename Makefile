# AnyAnomaly — see README.md. `make demo` and `make test` are the two front doors.
GO ?= go
BIN ?= bin/anyanomaly
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/anyanomaly/anyanomaly/cmd/anyanomaly/cli.Version=$(VERSION)
PREFIX ?= /usr/local

.PHONY: all setup build test test-short vet bench fuzz demo install clean

all: build

setup:
	./scripts/setup.sh

build: setup
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/anyanomaly

vet:
	$(GO) vet ./...

# The test command: README and .ci/run use exactly this.
test: setup
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

test-short:
	$(GO) test -short -count=1 ./...

bench: setup
	./scripts/bench.sh

fuzz:
	./scripts/fuzz.sh

demo: build
	./scripts/demo.sh

clean:
	rm -rf bin
