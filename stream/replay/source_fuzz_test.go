package replay

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bluenviron/gortsplib/v4/pkg/description"
	"github.com/bluenviron/gortsplib/v4/pkg/format"

	"github.com/anyanomaly/anyanomaly/stream/decode"
)

// FuzzSource runs what the replay does with a user's file short of the
// network: scan it for parameter sets, describe it in SDP, and turn every
// packet into RTP. A broken file must end in an error or skipped packets,
// never a panic. kind picks the file name extension.
func FuzzSource(f *testing.F) {
	f.Add(byte(0), []byte("not a video at all"))
	f.Add(byte(1), []byte{0, 0, 0, 1, 0x67, 0x42, 0, 0x0a, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88})
	exts := []string{".mp4", ".264", ".265", ".mkv"}
	f.Fuzz(func(t *testing.T, kind byte, data []byte) {
		path := filepath.Join(t.TempDir(), "clip"+exts[int(kind)%len(exts)])
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := scan(path)
		if err != nil {
			return
		}
		if src.sps == nil || src.pps == nil || (src.codec == "hevc" && src.vps == nil) {
			t.Fatalf("scan accepted %s without its parameter sets", src.codec)
		}
		medi := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{src.format()}}
		if _, err := (&description.Session{Medias: []*description.Media{medi}}).Marshal(false); err != nil {
			return
		}
		encode, err := rtpEncoder(medi.Formats[0])
		if err != nil {
			return
		}
		dm, err := decode.OpenFile(path, decode.DemuxOptions{AnnexB: true})
		if err != nil {
			t.Fatalf("scan opened the file, the pass cannot: %v", err)
		}
		defer dm.Close()
		for range 1000 {
			pkt, err := dm.Read()
			if err != nil { // io.EOF or a damaged file
				return
			}
			pkts, err := src.packetize(pkt, encode)
			if err != nil {
				continue
			}
			for _, p := range pkts {
				if _, err := p.Marshal(); err != nil {
					t.Fatalf("RTP packet does not marshal: %v", err)
				}
			}
		}
	})
}
