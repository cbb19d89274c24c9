package oippb_test

import (
	"context"
	"fmt"
	"log"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lucid-nlp/lucid/server/oippb"
)

// A client of `lucid serve --grpc-addr 127.0.0.1:8081` (the README's
// example, compiled here so it stays true; it needs a running server, so
// it has no output to check).
func Example() {
	token := "TOKEN" // the --token-file's, when the server has one
	conn, err := grpc.NewClient("127.0.0.1:8081", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	client := oippb.NewGRPCInferenceServiceClient(conn)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token)
	resp, err := client.ModelInfer(ctx, &oippb.ModelInferRequest{
		ModelName: "sst2-mini-bert",
		Inputs: []*oippb.ModelInferRequest_InferInputTensor{{Name: "text", Datatype: "BYTES", Shape: []int64{2},
			Contents: &oippb.InferTensorContents{BytesContents: [][]byte{[]byte("a gorgeous movie"), []byte("a dull film")}}}},
	})
	if err != nil {
		log.Fatal(status.Code(err), ": ", err)
	}
	for _, out := range resp.Outputs { // probabilities [2 2], logits [2 2], label [2]
		fmt.Println(out.Name, out.Shape, out.Contents.Fp32Contents, out.Contents.BytesContents)
	}
}
