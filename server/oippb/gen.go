// Package oippb is the Go code generated from the Open Inference
// Protocol's gRPC service definition (open_inference_grpc.proto, the
// protocol's grpc_predict_v2.proto, Apache-2.0; see SOURCE.md): the
// messages and the client and server of inference.GRPCInferenceService.
// The generated files are committed; regenerate them after changing the
// .proto with protoc, protoc-gen-go v1.36.12 and protoc-gen-go-grpc v1.5.1
// on PATH:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
//	go generate ./server/oippb
package oippb

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative --go_opt=Mopen_inference_grpc.proto=github.com/lucid-nlp/lucid/server/oippb --go-grpc_out=. --go-grpc_opt=paths=source_relative --go-grpc_opt=Mopen_inference_grpc.proto=github.com/lucid-nlp/lucid/server/oippb open_inference_grpc.proto
