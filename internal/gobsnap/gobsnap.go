// Package gobsnap encodes the snapshots of Lucid's mergeable accumulators
// (audit state that workers build apart and merge) with encoding/gob,
// which keeps every float64 bit, and decodes them strictly: data that is
// not one whole encoding, bytes left over included, is an error that names
// the package and what was being decoded.
package gobsnap

import (
	"bytes"
	"encoding/gob"
	"fmt"
)

// Encode gob-encodes v; pkg and what name it in an error ("group", "an
// accumulator").
func Encode(pkg, what string, v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, fmt.Errorf("%s: encoding %s: %w", pkg, what, err)
	}
	return buf.Bytes(), nil
}

// Decode gob-decodes data into v, refusing bytes left over after one
// value.
func Decode(pkg, what string, data []byte, v any) error {
	r := bytes.NewReader(data)
	if err := gob.NewDecoder(r).Decode(v); err != nil {
		return fmt.Errorf("%s: decoding %s (%d bytes): %w", pkg, what, len(data), err)
	}
	if r.Len() > 0 {
		return fmt.Errorf("%s: decoding %s: %d bytes left over after %d", pkg, what, r.Len(), len(data)-r.Len())
	}
	return nil
}
