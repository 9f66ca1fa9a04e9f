// Package systemd holds no code: this directory carries the systemd unit
// (anyanomaly.service), its CUDA drop-in and install notes; the package
// exists so that `go test ./...` checks the unit with systemd-analyze.
package systemd
