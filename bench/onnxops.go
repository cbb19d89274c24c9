package bench

import (
	"fmt"
	"io"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/lucid-nlp/lucid/models"
)

// OpTypes counts the op types of an ONNX model's main graph, read straight
// from the protobuf wire format (ModelProto.graph = field 7,
// GraphProto.node = 1, NodeProto.op_type = 4), so that a test or report can
// say what a graph contains without ONNX Runtime or Python. Subgraphs (If,
// Loop bodies) are not counted.
func OpTypes(model []byte) (map[string]int, error) {
	graph, err := field(model, 7)
	if err != nil {
		return nil, fmt.Errorf("bench: not an ONNX model: %w", err)
	}
	if graph == nil {
		return nil, fmt.Errorf("bench: not an ONNX model: it has no graph")
	}
	ops := map[string]int{}
	err = eachField(graph, func(num protowire.Number, v []byte) error {
		if num != 1 {
			return nil
		}
		op, err := field(v, 4)
		if err != nil {
			return err
		}
		ops[string(op)]++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bench: not an ONNX model: %w", err)
	}
	return ops, nil
}

// QuantizedOps reads the folder's graph file and counts its quantization
// operators: every op type that contains "Integer" or "Quant" (MatMulInteger,
// DynamicQuantizeLinear, QLinearMatMul, QuantizeLinear, ...).
func QuantizedOps(f *models.Folder, file string) (map[string]int, error) {
	r, err := f.Open(file)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("bench: reading %s: %w", file, err)
	}
	ops, err := OpTypes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	q := map[string]int{}
	for op, n := range ops {
		if strings.Contains(op, "Integer") || strings.Contains(op, "Quant") {
			q[op] = n
		}
	}
	return q, nil
}

// field returns the last length-delimited field num of a message (the last
// wins, as in protobuf's merge rule for a non-repeated field), nil if absent.
func field(msg []byte, num protowire.Number) ([]byte, error) {
	var out []byte
	err := eachField(msg, func(n protowire.Number, v []byte) error {
		if n == num {
			out = v
		}
		return nil
	})
	return out, err
}

// eachField calls fn with every length-delimited field of msg, skipping
// fields of the other wire types.
func eachField(msg []byte, fn func(protowire.Number, []byte) error) error {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return protowire.ParseError(n)
		}
		msg = msg[n:]
		if typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(msg)
			if m < 0 {
				return protowire.ParseError(m)
			}
			if err := fn(num, v); err != nil {
				return err
			}
			msg = msg[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, msg)
		if m < 0 {
			return protowire.ParseError(m)
		}
		msg = msg[m:]
	}
	return nil
}
