package dataset

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Format is the layout of a data file.
type Format int

const (
	// Auto (the zero value) picks the format from the file name's extension.
	Auto Format = iota
	// CSV is comma-separated values with a header row (RFC 4180 quoting).
	CSV
	// TSV is tab-separated values with a header row and no quoting.
	TSV
	// JSONL is one JSON object per line (also called NDJSON).
	JSONL
)

func (f Format) String() string {
	switch f {
	case Auto:
		return "auto"
	case CSV:
		return "csv"
	case TSV:
		return "tsv"
	case JSONL:
		return "jsonl"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat reads a --format value: csv, tsv, jsonl or ndjson (any case),
// or "" / "auto" for detection by extension. Anything else is an error
// wrapping ErrUnknownFormat.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return Auto, nil
	case "csv":
		return CSV, nil
	case "tsv", "tab":
		return TSV, nil
	case "jsonl", "ndjson":
		return JSONL, nil
	}
	return Auto, fmt.Errorf("dataset: %w %q: want csv, tsv or jsonl", ErrUnknownFormat, s)
}

// DetectFormat picks the format from the extension of path: .csv, .tsv,
// .jsonl or .ndjson (any case). Anything else, .txt and .json included, is
// an error wrapping ErrUnknownFormat that asks for --format: a .txt file
// may be any of the three, and a .json file is as likely one array as one
// object per line.
func DetectFormat(path string) (Format, error) {
	ext := strings.ToLower(filepath.Ext(path))
	switch ext {
	case ".csv":
		return CSV, nil
	case ".tsv":
		return TSV, nil
	case ".jsonl", ".ndjson":
		return JSONL, nil
	case "":
		return Auto, fmt.Errorf("dataset: %w: %s has no extension to tell its format by; give --format csv, tsv or jsonl", ErrUnknownFormat, path)
	}
	return Auto, fmt.Errorf("dataset: %w: cannot tell the format of %s from its extension %q; give --format csv, tsv or jsonl", ErrUnknownFormat, path, ext)
}
