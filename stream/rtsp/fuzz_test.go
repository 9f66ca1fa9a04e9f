package rtsp

import (
	"encoding/binary"
	"testing"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"

	"github.com/anyanomaly/anyanomaly/stream/decode"
	"github.com/anyanomaly/anyanomaly/stream/streamtest"
)

// Fuzz input layout: byte 0 picks the codec (even: H.264, odd: H.265);
// then records of [flags byte][2-byte big-endian length][payload], one RTP
// packet each (flags bit 0 = marker). That is exactly what a hostile or
// broken camera controls.
func splitPackets(data []byte) (codec byte, pkts []*rtp.Packet) {
	if len(data) == 0 {
		return 0, nil
	}
	codec, data = data[0], data[1:]
	for i := 0; len(data) >= 3 && i < 512; i++ {
		flags, n := data[0], int(binary.BigEndian.Uint16(data[1:3]))
		data = data[3:]
		n = min(n, len(data))
		pkts = append(pkts, &rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 96, Marker: flags&1 == 1, SequenceNumber: uint16(i), Timestamp: uint32(i / 2 * 3600)},
			Payload: data[:n],
		})
		data = data[n:]
	}
	return codec, pkts
}

func joinPackets(codec byte, pkts []*rtp.Packet) []byte {
	out := []byte{codec}
	for _, p := range pkts {
		var flags byte
		if p.Marker {
			flags = 1
		}
		out = append(out, flags, byte(len(p.Payload)>>8), byte(len(p.Payload)))
		out = append(out, p.Payload...)
	}
	return out
}

// FuzzRTPToDecoder drives the RTP → access unit → FFmpeg decoder path with
// arbitrary packets: it must never panic or crash, whatever arrives.
func FuzzRTPToDecoder(f *testing.F) {
	f.Add([]byte{0, 1, 0, 3, 0x65, 0x88, 0x84})
	f.Add([]byte{1, 1, 0, 4, 0x26, 0x01, 0xaf, 0x00})
	f.Add([]byte{0, 0, 0, 5, 0x7c, 0x85, 0x88, 0x84, 0x00, 1, 0, 3, 0x7c, 0x45, 0x21})
	f.Fuzz(func(t *testing.T, data []byte) {
		codec, pkts := splitPackets(data)
		var forma format.Format = &format.H264{PayloadTyp: 96, PacketizationMode: 1}
		if codec%2 == 1 {
			forma = &format.H265{PayloadTyp: 96}
		}
		dep, err := newDepacketizer(forma)
		if err != nil {
			t.Fatal(err)
		}
		dec, err := decode.NewDecoder(decode.Config{Codec: dep.codec(), BandLongSide: 32}) // band scaling too
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Close()
		sc := decode.NewScaler(32)
		defer sc.Close()
		var ts unwrapper
		for _, p := range pkts {
			pts := ts.unwrap(p.Timestamp)
			au, err := dep.decode(p)
			if err != nil || au == nil {
				continue
			}
			dep.randomAccess(au)
			au = dep.withParams(au)
			data, err := h264.AnnexB(au).Marshal()
			if err != nil {
				continue
			}
			_ = dec.Decode(data, pts, func(pic *decode.Picture) error {
				_, err := sc.Scale(pic, nil)
				return err
			})
		}
	})
}

// TestWriteFuzzSeeds regenerates the committed seed corpus from generated
// clips: ANYANOMALY_WRITE_FUZZ_SEEDS=1 go test ./stream/rtsp -run WriteFuzzSeeds
func TestWriteFuzzSeeds(t *testing.T) {
	dir := streamtest.FuzzSeedDir(t, "FuzzRTPToDecoder")
	for i, codec := range []string{"h264", "h265"} {
		clip := streamtest.GenerateClip(t, streamtest.ClipSpec{Width: 64, Height: 48, FPS: 10, Seconds: 0.4, Codec: codec, Container: "raw", GOP: 2})
		dm, err := decode.OpenFile(clip, decode.DemuxOptions{AnnexB: true})
		if err != nil {
			t.Fatal(err)
		}
		var forma format.Format = &format.H264{PayloadTyp: 96, PacketizationMode: 1}
		var encode func([][]byte) ([]*rtp.Packet, error)
		if codec == "h265" {
			h := &format.H265{PayloadTyp: 96}
			forma = h
			e, _ := h.CreateEncoder()
			encode = e.Encode
		} else {
			e, _ := forma.(*format.H264).CreateEncoder()
			encode = e.Encode
		}
		var pkts []*rtp.Packet
		for {
			pkt, err := dm.Read()
			if err != nil {
				break
			}
			var au h264.AnnexB
			if au.Unmarshal(pkt.Data()) != nil {
				continue
			}
			ps, err := encode(au)
			if err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, ps...)
		}
		dm.Close()
		streamtest.WriteFuzzSeed(t, dir, "clip_"+codec, joinPackets(byte(i), pkts))
		// A truncated variant: the stream cut mid access unit.
		streamtest.WriteFuzzSeed(t, dir, "clip_"+codec+"_cut", joinPackets(byte(i), pkts[:len(pkts)/2]))
	}
}
