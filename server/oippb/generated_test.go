package oippb

import (
	"os"
	"regexp"
	"slices"
	"testing"
)

// The generated code is committed and CI does not run protoc, so a .proto
// edited without `go generate` would go unnoticed: the rpc and message
// names the .proto declares must be those of the generated descriptor.
func TestGeneratedMatchesProto(t *testing.T) {
	src, err := os.ReadFile("open_inference_grpc.proto")
	if err != nil {
		t.Fatal(err)
	}
	names := func(re string) []string {
		var out []string
		for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(string(src), -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	svc := File_open_inference_grpc_proto.Services().ByName("GRPCInferenceService")
	if svc == nil {
		t.Fatal("the generated descriptor has no GRPCInferenceService")
	}
	var rpcs []string
	for i := range svc.Methods().Len() {
		rpcs = append(rpcs, string(svc.Methods().Get(i).Name()))
	}
	slices.Sort(rpcs)
	if want := names(`(?m)^\s*rpc\s+(\w+)\s*\(`); !slices.Equal(want, rpcs) {
		t.Errorf("the .proto declares rpcs %v, the generated code %v: run go generate ./server/oippb", want, rpcs)
	}
	var msgs []string
	top := File_open_inference_grpc_proto.Messages()
	for i := range top.Len() {
		m := top.Get(i)
		msgs = append(msgs, string(m.Name()))
		for j := range m.Messages().Len() {
			if !m.Messages().Get(j).IsMapEntry() {
				msgs = append(msgs, string(m.Messages().Get(j).Name()))
			}
		}
	}
	slices.Sort(msgs)
	if want := names(`(?m)^\s*message\s+(\w+)`); !slices.Equal(want, msgs) {
		t.Errorf("the .proto declares messages %v, the generated code %v: run go generate ./server/oippb", want, msgs)
	}
}
