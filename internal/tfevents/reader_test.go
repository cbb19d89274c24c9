package tfevents_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
)

// An event-file reader written from the format's definitions, sharing no
// code with the writer: its own bitwise CRC-32C (not hash/crc32), its own
// record parser and its own protobuf wire decoder. Field numbers are read
// off TensorBoard's event.proto, summary.proto and tensor.proto.

// crc32c is the bitwise reflected CRC-32C (Castagnoli, 0x82F63B78).
func crc32c(b []byte) uint32 {
	c := ^uint32(0)
	for _, x := range b {
		c ^= uint32(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x82F63B78
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

func masked(b []byte) uint32 {
	c := crc32c(b)
	return (c>>15 | c<<17) + 0xa282ead8
}

// readRecords splits a TFRecord file, checking both CRCs of every record.
func readRecords(b []byte) ([][]byte, error) {
	var out [][]byte
	for off := 0; off < len(b); {
		if len(b)-off < 12 {
			return nil, fmt.Errorf("record at %d: %d bytes left, want a 12-byte header", off, len(b)-off)
		}
		n := binary.LittleEndian.Uint64(b[off:])
		if got, want := binary.LittleEndian.Uint32(b[off+8:]), masked(b[off:off+8]); got != want {
			return nil, fmt.Errorf("record at %d: length CRC %08x, want %08x", off, got, want)
		}
		start := off + 12
		if uint64(len(b)-start) < n+4 {
			return nil, fmt.Errorf("record at %d: length %d past the end", off, n)
		}
		data := b[start : start+int(n)]
		if got, want := binary.LittleEndian.Uint32(b[start+int(n):]), masked(data); got != want {
			return nil, fmt.Errorf("record at %d: data CRC %08x, want %08x", off, got, want)
		}
		out = append(out, data)
		off = start + int(n) + 4
	}
	return out, nil
}

// field is one protobuf field: its wire type and raw value.
type field struct {
	wire    int
	varint  uint64
	fixed64 uint64
	fixed32 uint32
	bytes   []byte
}

// decode parses a protobuf message into its fields by number.
func decode(b []byte) (map[int][]field, error) {
	out := map[int][]field{}
	uvarint := func() (uint64, error) {
		var v uint64
		for shift := uint(0); shift < 64; shift += 7 {
			if len(b) == 0 {
				return 0, fmt.Errorf("truncated varint")
			}
			c := b[0]
			b = b[1:]
			v |= uint64(c&0x7f) << shift
			if c < 0x80 {
				return v, nil
			}
		}
		return 0, fmt.Errorf("varint too long")
	}
	for len(b) > 0 {
		key, err := uvarint()
		if err != nil {
			return nil, err
		}
		f := field{wire: int(key & 7)}
		num := int(key >> 3)
		switch f.wire {
		case 0:
			if f.varint, err = uvarint(); err != nil {
				return nil, err
			}
		case 1:
			if len(b) < 8 {
				return nil, fmt.Errorf("field %d: truncated fixed64", num)
			}
			f.fixed64, b = binary.LittleEndian.Uint64(b), b[8:]
		case 5:
			if len(b) < 4 {
				return nil, fmt.Errorf("field %d: truncated fixed32", num)
			}
			f.fixed32, b = binary.LittleEndian.Uint32(b), b[4:]
		case 2:
			n, err := uvarint()
			if err != nil {
				return nil, err
			}
			if uint64(len(b)) < n {
				return nil, fmt.Errorf("field %d: length %d past the end", num, n)
			}
			f.bytes, b = b[:n], b[n:]
		default:
			return nil, fmt.Errorf("field %d: wire type %d", num, f.wire)
		}
		out[num] = append(out[num], f)
	}
	return out, nil
}

// tbValue is one Summary.Value as TensorBoard sees it.
type tbValue struct {
	Tag       string
	Simple    *float32 // simple_value
	Text      *string  // tensor.string_val[0] of a DT_STRING tensor
	Rank      int      // tensor_shape's dims
	Plugin    string   // metadata.plugin_data.plugin_name
	DataClass uint64   // metadata.data_class
}

// tbEvent is one Event.
type tbEvent struct {
	Wall        float64
	Step        int64
	FileVersion string
	Values      []tbValue
}

func one(m map[int][]field, num, wire int) (field, bool, error) {
	fs := m[num]
	if len(fs) == 0 {
		return field{}, false, nil
	}
	if len(fs) > 1 {
		return field{}, false, fmt.Errorf("field %d: %d occurrences of a singular field", num, len(fs))
	}
	if fs[0].wire != wire {
		return field{}, false, fmt.Errorf("field %d: wire type %d, want %d", num, fs[0].wire, wire)
	}
	return fs[0], true, nil
}

func decodeEvent(b []byte) (tbEvent, error) {
	var e tbEvent
	m, err := decode(b)
	if err != nil {
		return e, err
	}
	if f, ok, err := one(m, 1, 1); err != nil {
		return e, err
	} else if ok {
		e.Wall = math.Float64frombits(f.fixed64)
	}
	if f, ok, err := one(m, 2, 0); err != nil {
		return e, err
	} else if ok {
		e.Step = int64(f.varint)
	}
	if f, ok, err := one(m, 3, 2); err != nil {
		return e, err
	} else if ok {
		e.FileVersion = string(f.bytes)
	}
	sum, ok, err := one(m, 5, 2)
	if err != nil || !ok {
		return e, err
	}
	sm, err := decode(sum.bytes)
	if err != nil {
		return e, err
	}
	for _, vf := range sm[1] {
		vm, err := decode(vf.bytes)
		if err != nil {
			return e, err
		}
		var v tbValue
		if f, ok, err := one(vm, 1, 2); err != nil {
			return e, err
		} else if ok {
			v.Tag = string(f.bytes)
		}
		if f, ok, err := one(vm, 2, 5); err != nil {
			return e, err
		} else if ok {
			x := math.Float32frombits(f.fixed32)
			v.Simple = &x
		}
		if f, ok, err := one(vm, 8, 2); err != nil {
			return e, err
		} else if ok {
			tm, err := decode(f.bytes)
			if err != nil {
				return e, err
			}
			if dt, _, _ := one(tm, 1, 0); dt.varint != 7 {
				return e, fmt.Errorf("tag %q: tensor dtype %d, want DT_STRING (7)", v.Tag, dt.varint)
			}
			shape, _, err := one(tm, 2, 2)
			if err != nil {
				return e, err
			}
			sh, err := decode(shape.bytes)
			if err != nil {
				return e, err
			}
			v.Rank = len(sh[2])
			if s := tm[8]; len(s) == 1 {
				t := string(s[0].bytes)
				v.Text = &t
			}
		}
		if f, ok, err := one(vm, 9, 2); err != nil {
			return e, err
		} else if ok {
			md, err := decode(f.bytes)
			if err != nil {
				return e, err
			}
			if pd, ok, _ := one(md, 1, 2); ok {
				pm, err := decode(pd.bytes)
				if err != nil {
					return e, err
				}
				if pn, ok, _ := one(pm, 1, 2); ok {
					v.Plugin = string(pn.bytes)
				}
			}
			if dc, ok, _ := one(md, 4, 0); ok {
				v.DataClass = dc.varint
			}
		}
		e.Values = append(e.Values, v)
	}
	return e, nil
}

// readEventFile reads and decodes every event of a file.
func readEventFile(path string) ([]tbEvent, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	recs, err := readRecords(b)
	if err != nil {
		return nil, err
	}
	var out []tbEvent
	for i, r := range recs {
		e, err := decodeEvent(r)
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i, err)
		}
		out = append(out, e)
	}
	return out, nil
}
