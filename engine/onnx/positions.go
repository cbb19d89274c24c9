package onnx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// positionTableRows reads model.onnx's position-embedding table size: the
// first dimension of the initializer whose name contains
// "position_embeddings" (as Hugging Face exports name it). It returns 0
// when the graph has no such initializer or cannot be scanned; the caller
// then catches an over-long sequence at run time instead.
//
// The file is scanned as a protobuf stream (ModelProto.graph = 7,
// GraphProto.initializer = 5, TensorProto.dims = 1, TensorProto.name = 8),
// skipping tensor data without holding it, so a large model costs one
// sequential read and constant memory.
func positionTableRows(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	return positionRows(f)
}

// positionRows is positionTableRows over a graph read from src.
func positionRows(src io.Reader) int {
	r := bufio.NewReaderSize(src, 1<<16)
	rows, err := scanMessage(r, -1, func(field int, wire int, r *bufio.Reader, n int64) (int, bool, error) {
		if field != 7 || wire != 2 {
			return 0, false, skip(r, wire, n)
		}
		lr := bufio.NewReader(io.LimitReader(r, n))
		rows, err := scanMessage(lr, n, func(field int, wire int, r *bufio.Reader, n int64) (int, bool, error) {
			if field != 5 || wire != 2 {
				return 0, false, skip(r, wire, n)
			}
			rows, err := tensorRows(bufio.NewReader(io.LimitReader(r, n)), n)
			return rows, rows > 0, err
		})
		return rows, true, err
	})
	if err != nil {
		return 0
	}
	return rows
}

// tensorRows reads a TensorProto and returns its first dimension when its
// name names a position-embedding table, else 0.
func tensorRows(r *bufio.Reader, size int64) (int, error) {
	var dims []int64
	var name string
	_, err := scanMessage(r, size, func(field int, wire int, r *bufio.Reader, n int64) (int, bool, error) {
		switch {
		case field == 1 && wire == 0: // one dim, unpacked
			v, err := readVarint(r)
			dims = append(dims, int64(v))
			return 0, false, err
		case field == 1 && wire == 2: // packed dims
			lr := bufio.NewReader(io.LimitReader(r, n))
			for {
				v, err := readVarint(lr)
				if errors.Is(err, io.EOF) {
					return 0, false, nil
				}
				if err != nil {
					return 0, false, err
				}
				dims = append(dims, int64(v))
			}
		case field == 8 && wire == 2 && n < 1<<12:
			b := make([]byte, n)
			_, err := io.ReadFull(r, b)
			name = string(b)
			return 0, false, err
		}
		return 0, false, skip(r, wire, n)
	})
	if err != nil || !strings.Contains(name, "position_embeddings") || len(dims) != 2 || dims[0] <= 0 {
		return 0, err
	}
	return int(dims[0]), nil
}

// scanMessage walks the fields of one message of size bytes (-1: to EOF),
// handing each to fn with its length (length-delimited fields) so fn can
// read or skip it; it stops when fn says done.
func scanMessage(r *bufio.Reader, size int64, fn func(field, wire int, r *bufio.Reader, n int64) (int, bool, error)) (int, error) {
	for {
		key, err := readVarint(r)
		if errors.Is(err, io.EOF) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		field, wire := int(key>>3), int(key&7)
		var n int64
		if wire == 2 {
			l, err := readVarint(r)
			if err != nil {
				return 0, err
			}
			if size >= 0 && int64(l) > size || l > 1<<40 {
				return 0, fmt.Errorf("onnx: field %d claims %d bytes", field, l)
			}
			n = int64(l)
		}
		v, done, err := fn(field, wire, r, n)
		if err != nil || done {
			return v, err
		}
	}
}

// skip discards one field's value.
func skip(r *bufio.Reader, wire int, n int64) error {
	var err error
	switch wire {
	case 0:
		_, err = readVarint(r)
	case 1:
		_, err = r.Discard(8)
	case 2:
		_, err = io.CopyN(io.Discard, r, n)
	case 5:
		_, err = r.Discard(4)
	default:
		err = fmt.Errorf("onnx: unsupported protobuf wire type %d", wire)
	}
	return err
}

func readVarint(r *bufio.Reader) (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		b, err := r.ReadByte()
		if err != nil {
			if shift > 0 && errors.Is(err, io.EOF) {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, err
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("onnx: varint overflows 64 bits")
}
