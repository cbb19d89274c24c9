// Package tfevents writes TensorBoard event files: scalars and text
// summaries in the TFRecord framing TensorBoard reads, with no protobuf or
// TensorFlow dependency.
//
// # Framing
//
// A file is a sequence of TFRecords, each
//
//	uint64 length (little-endian)
//	uint32 masked CRC-32C of the 8 length bytes
//	length bytes of data (one serialized Event)
//	uint32 masked CRC-32C of the data
//
// where CRC-32C is the Castagnoli polynomial and masking is
// ((crc >> 15) | (crc << 17)) + 0xa282ead8, as TensorFlow's
// lib/io/record_writer and crc32c.h define them.
//
// # Messages
//
// Events are protobuf messages encoded by hand (proto3 wire format) with
// the field numbers of TensorBoard's own definitions, which are Apache-2.0
// licensed: tensorboard/compat/proto/event.proto (Event: wall_time = 1
// double, step = 2 int64, file_version = 3 string, summary = 5 Summary),
// summary.proto (Summary: value = 1 repeated Value; Value: tag = 1,
// simple_value = 2 float, tensor = 8 TensorProto, metadata = 9
// SummaryMetadata; SummaryMetadata: plugin_data = 1 PluginData
// {plugin_name = 1, content = 2}, data_class = 4 with DATA_CLASS_TENSOR =
// 2), tensor.proto (TensorProto: dtype = 1, tensor_shape = 2, string_val =
// 8 repeated bytes), tensor_shape.proto (an empty TensorShapeProto is a
// scalar) and types.proto (DT_STRING = 7).
//
// The first record is an Event with file_version "brain.Event:2", as every
// TensorBoard writer starts its files. A scalar is a Summary.Value with
// simple_value (a float32: TensorBoard's scalar dashboard reads it as its
// legacy scalar form); a text is a rank-0 DT_STRING tensor with the "text"
// plugin's metadata (markdown, rendered by TensorBoard's Text tab).
package tfevents

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// FileVersion is the first event's file_version.
const FileVersion = "brain.Event:2"

// Prefix starts every event file's name; TensorBoard loads the files of a
// folder whose names contain "tfevents".
const Prefix = "events.out.tfevents."

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MaskedCRC is TFRecord's masked CRC-32C of b.
func MaskedCRC(b []byte) uint32 {
	c := crc32.Checksum(b, castagnoli)
	return ((c >> 15) | (c << 17)) + 0xa282ead8
}

// Record frames data as one TFRecord.
func Record(data []byte) []byte {
	out := make([]byte, 0, len(data)+16)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(data)))
	out = binary.LittleEndian.AppendUint32(out, MaskedCRC(out[:8]))
	out = append(out, data...)
	return binary.LittleEndian.AppendUint32(out, MaskedCRC(data))
}

// Protobuf wire types.
const (
	wireVarint = 0
	wire64     = 1
	wireBytes  = 2
	wire32     = 5
)

func appendKey(b []byte, field, wire int) []byte {
	return binary.AppendUvarint(b, uint64(field)<<3|uint64(wire))
}

func appendBytes(b []byte, field int, v []byte) []byte {
	b = appendKey(b, field, wireBytes)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func appendVarint(b []byte, field int, v uint64) []byte {
	return binary.AppendUvarint(appendKey(b, field, wireVarint), v)
}

// Field numbers (see the package doc for their source).
const (
	eventWallTime    = 1
	eventStep        = 2
	eventFileVersion = 3
	eventSummary     = 5

	summaryValue = 1

	valueTag         = 1
	valueSimpleValue = 2
	valueTensor      = 8
	valueMetadata    = 9

	metadataPluginData = 1
	metadataDataClass  = 4
	pluginName         = 1

	tensorDtype     = 1
	tensorShape     = 2
	tensorStringVal = 8

	dtString        = 7
	dataClassTensor = 2
)

func event(wall float64, step int64, what func([]byte) []byte) []byte {
	b := appendKey(nil, eventWallTime, wire64)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(wall))
	if step != 0 {
		// proto3 leaves a zero scalar out.
		b = appendVarint(b, eventStep, uint64(step))
	}
	return what(b)
}

func summaryEvent(wall float64, step int64, value []byte) []byte {
	return event(wall, step, func(b []byte) []byte {
		return appendBytes(b, eventSummary, appendBytes(nil, summaryValue, value))
	})
}

// Writer writes one event file. Not safe for concurrent use.
type Writer struct {
	f    *os.File
	path string
	step int64
	wall float64
	buf  bytes.Buffer
	err  error
}

// Create starts a new event file in dir (created if missing), named
// events.out.tfevents.<unix seconds>.<host>.<step, 6 digits>.<pid>, whose
// events all carry step and the wall time at. It never overwrites a file.
// TensorBoard reads a folder's files in name order and, seeing a step
// lower than one it has, drops the later data as orphaned: the names sort
// by time, then by step, so two runs in the same second keep their order.
func Create(dir string, step int64, at time.Time) (*Writer, error) {
	if step < 0 {
		return nil, fmt.Errorf("tfevents: step %d: want at least 0", step)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tfevents: creating folder %s: %w", dir, err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	// A host name is a file name component here: no separators.
	host = strings.NewReplacer("/", "_", "\\", "_").Replace(host)
	name := fmt.Sprintf("%s%d.%s.%06d.%d", Prefix, at.Unix(), host, step, os.Getpid())
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tfevents: %w", err)
	}
	w := &Writer{f: f, path: path, step: step, wall: float64(at.UnixNano()) / 1e9}
	w.buf.Write(Record(event(w.wall, step, func(b []byte) []byte {
		return appendBytes(b, eventFileVersion, []byte(FileVersion))
	})))
	return w, nil
}

// Path is the file's path.
func (w *Writer) Path() string { return w.path }

// Scalar adds a scalar: tag's value at the writer's step, as float32 (a
// value beyond float32's range becomes ±Inf). A value that is not finite
// is an error naming the tag.
func (w *Writer) Scalar(tag string, v float64) error {
	if tag == "" {
		return errors.New("tfevents: empty scalar tag")
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("tfevents: scalar %q: value %v is not finite", tag, v)
	}
	val := appendBytes(nil, valueTag, []byte(tag))
	val = appendKey(val, valueSimpleValue, wire32)
	val = binary.LittleEndian.AppendUint32(val, math.Float32bits(float32(v)))
	w.buf.Write(Record(summaryEvent(w.wall, w.step, val)))
	return nil
}

// Text adds a text summary (markdown) under tag, for TensorBoard's Text
// tab.
func (w *Writer) Text(tag, text string) error {
	if tag == "" {
		return errors.New("tfevents: empty text tag")
	}
	meta := appendBytes(nil, metadataPluginData, appendBytes(nil, pluginName, []byte("text")))
	meta = appendVarint(meta, metadataDataClass, dataClassTensor)
	tensor := appendVarint(nil, tensorDtype, dtString)
	tensor = appendBytes(tensor, tensorShape, nil) // rank 0
	tensor = appendBytes(tensor, tensorStringVal, []byte(text))
	val := appendBytes(nil, valueTag, []byte(tag))
	val = appendBytes(val, valueTensor, tensor)
	val = appendBytes(val, valueMetadata, meta)
	w.buf.Write(Record(summaryEvent(w.wall, w.step, val)))
	return nil
}

// Close writes the events and closes the file. A file that could not be
// written whole is removed, so a folder never holds a torn event file.
func (w *Writer) Close() error {
	if w.f == nil {
		return w.err
	}
	_, err := w.f.Write(w.buf.Bytes())
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	if err != nil {
		os.Remove(w.path)
		w.err = fmt.Errorf("tfevents: writing %s: %w", w.path, err)
	}
	return w.err
}

// Abort closes and removes the file, writing nothing: for a run whose
// figures could not all be written.
func (w *Writer) Abort() {
	if w.f == nil {
		return
	}
	w.f.Close()
	os.Remove(w.path)
	w.f = nil
	w.err = errors.New("tfevents: aborted")
}

// NextStep is the step of the next run written to dir: one past the
// largest step named by a file Create wrote there, and at least the number
// of event files there (0 for a new or empty folder), so a folder of runs
// is a trend over runs 0, 1, 2, … that a deleted file does not send back.
func NextStep(dir string) (int64, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("tfevents: reading folder %s: %w", dir, err)
	}
	var count, next int64
	for _, e := range entries {
		if e.IsDir() || !strings.Contains(e.Name(), "tfevents") {
			continue
		}
		count++
		if step, ok := ownStep(e.Name()); ok {
			next = max(next, step+1)
		}
	}
	return max(count, next), nil
}

// ownStep reads the step from a name Create made: Prefix, then
// <seconds>.<host>.<6+ digit step>.<pid>, the host possibly with dots.
func ownStep(name string) (int64, bool) {
	rest, ok := strings.CutPrefix(name, Prefix)
	if !ok {
		return 0, false
	}
	parts := strings.Split(rest, ".")
	if len(parts) < 4 {
		return 0, false
	}
	s := parts[len(parts)-2]
	if len(s) < 6 {
		return 0, false
	}
	step, err := strconv.ParseInt(s, 10, 64)
	if err != nil || step < 0 {
		return 0, false
	}
	if _, err := strconv.Atoi(parts[len(parts)-1]); err != nil {
		return 0, false
	}
	return step, true
}
