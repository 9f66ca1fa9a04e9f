// Package stream gets analysis frames out of cameras and files: it
// supervises RTSP cameras (connect, reconnect with backoff, stall
// detection), runs the decoder, samples frames by timestamp, scales them to
// the analysis size and cuts them into segments. ReadFile does the same for
// video files and folders of numbered JPEG frames; Probe tests a camera URL.
package stream
