package alerts

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Spool record kinds.
const (
	recMessage byte = 1 // a JetStream publish
	recObject  byte = 2 // an Object Store put
)

// maxRecordField bounds one decoded field so a corrupt length cannot make
// the decoder allocate gigabytes.
const maxRecordField = 64 << 20

// spoolRecord is one unit of delivery kept in the spool: a message to
// publish (Target = subject, Key = Nats-Msg-Id) or an object to put
// (Target = bucket, Key = object name).
type spoolRecord struct {
	Kind    byte
	Created time.Time
	Target  string
	Key     string
	Headers [][2]string
	Data    []byte
}

func (r *spoolRecord) encode() []byte {
	n := 1 + binary.MaxVarintLen64*4 + len(r.Target) + len(r.Key) + len(r.Data)
	for _, h := range r.Headers {
		n += 2*binary.MaxVarintLen64 + len(h[0]) + len(h[1])
	}
	b := make([]byte, 0, n)
	b = append(b, r.Kind)
	b = binary.AppendVarint(b, r.Created.UnixNano())
	putStr := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	putStr(r.Target)
	putStr(r.Key)
	b = binary.AppendUvarint(b, uint64(len(r.Headers)))
	for _, h := range r.Headers {
		putStr(h[0])
		putStr(h[1])
	}
	b = binary.AppendUvarint(b, uint64(len(r.Data)))
	b = append(b, r.Data...)
	return b
}

var errShortRecord = errors.New("spool record truncated")

// decodeRecord parses an encoded record; it never panics on bad input.
func decodeRecord(b []byte) (spoolRecord, error) {
	var r spoolRecord
	if len(b) < 1 {
		return r, errShortRecord
	}
	r.Kind, b = b[0], b[1:]
	if r.Kind != recMessage && r.Kind != recObject {
		return r, fmt.Errorf("spool record: unknown kind %d", r.Kind)
	}
	ns, n := binary.Varint(b)
	if n <= 0 {
		return r, errShortRecord
	}
	r.Created, b = time.Unix(0, ns), b[n:]
	getBytes := func() ([]byte, error) {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > maxRecordField || l > uint64(len(b)-n) {
			return nil, errShortRecord
		}
		v := b[n : n+int(l)]
		b = b[n+int(l):]
		return v, nil
	}
	getStr := func() (string, error) { v, err := getBytes(); return string(v), err }
	var err error
	if r.Target, err = getStr(); err != nil {
		return r, err
	}
	if r.Key, err = getStr(); err != nil {
		return r, err
	}
	nh, n := binary.Uvarint(b)
	if n <= 0 || nh > uint64(len(b)) {
		return r, errShortRecord
	}
	b = b[n:]
	for i := uint64(0); i < nh; i++ {
		k, err := getStr()
		if err != nil {
			return r, err
		}
		v, err := getStr()
		if err != nil {
			return r, err
		}
		r.Headers = append(r.Headers, [2]string{k, v})
	}
	data, err := getBytes()
	if err != nil {
		return r, err
	}
	if len(b) != 0 {
		return r, fmt.Errorf("spool record: %d trailing bytes", len(b))
	}
	r.Data = append([]byte(nil), data...)
	return r, nil
}
