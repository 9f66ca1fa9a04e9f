// Package decode is the project's only cgo boundary: it wraps FFmpeg (through
// go-astiav) to demux video files, decode H.264/H.265/MJPEG access units in
// software or on a GPU (cuda, vaapi), and scale decoded pictures into Go
// RGBA images with swscale. Everything above this package is plain Go.
package decode
