package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/server/oippb"
)

// --grpc-addr is checked before any model loads.
func TestServeGRPCUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--grpc-addr", "8081"}, `--grpc-addr "8081": want HOST:PORT`},
		{[]string{"--addr", "127.0.0.1:9000", "--grpc-addr", "127.0.0.1:9000"}, "--grpc-addr 127.0.0.1:9000 is --addr's too"},
	} {
		code, _, stderr := lucid(t, "", append([]string{"serve"}, c.args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.msg, "%v", c.args)
	}
}

// lucid serve --grpc-addr, run as its own process from an empty
// directory with no --model and no $LUCID_MODEL (so the model built into
// the binary), answers a client generated from the protocol's .proto:
// ModelInfer gives REST infer's probabilities (within 1e-6) for the same
// texts, the token is checked, and SIGTERM stops both servers with exit 0.
func TestServeGRPCFromAnotherDirectory(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(dir+"/token", []byte("t0ken\n"), 0o600))
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "serve", "--addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--token-file", "token")
	cmd.Dir = dir
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, models.ModelEnv+"=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "LUCID_TEST_AS_MAIN=1")
	stderrPipe, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	// The log names both addresses (port 0: the kernel's choice).
	httpRE := regexp.MustCompile(`listening on http://(\S+) \(models: (\S+?)[;)]`)
	grpcRE := regexp.MustCompile(`gRPC \(inference\.GRPCInferenceService\) listening on (\S+) \(plaintext\)`)
	var logBuf bytes.Buffer
	found := make(chan [2]string, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		r := bufio.NewReader(stderrPipe)
		var httpAddr, model string
		sent := false
		for {
			line, err := r.ReadString('\n')
			logBuf.WriteString(line)
			if m := httpRE.FindStringSubmatch(line); m != nil {
				httpAddr, model = m[1], m[2]
				assert.Equal(t, models.DefaultName, model, "the embedded model's name")
			}
			if m := grpcRE.FindStringSubmatch(line); m != nil && httpAddr != "" && !sent {
				found <- [2]string{httpAddr, m[1]}
				sent = true
			}
			if err != nil {
				return
			}
		}
	}()
	var addrs [2]string
	select {
	case addrs = <-found:
	case <-readDone:
		t.Fatalf("lucid serve exited before listening:\n%s", logBuf.String())
	case <-time.After(90 * time.Second):
		t.Fatalf("lucid serve did not announce both addresses:\n%s", logBuf.String())
	}

	conn, err := grpc.NewClient(addrs[1], grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer conn.Close()
	client := oippb.NewGRPCInferenceServiceClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	texts := []string{"a gorgeous, witty, seductive movie", "the plot is a mess and the acting is worse"}
	req := &oippb.ModelInferRequest{ModelName: models.DefaultName, Inputs: []*oippb.ModelInferRequest_InferInputTensor{{
		Name: "text", Datatype: "BYTES", Shape: []int64{2},
		Contents: &oippb.InferTensorContents{BytesContents: [][]byte{[]byte(texts[0]), []byte(texts[1])}}}}}

	_, err = client.ModelInfer(ctx, req)
	require.Equal(t, codes.Unauthenticated, status.Code(err), "no token: %v", err)

	authed := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer t0ken")
	resp, err := client.ModelInfer(authed, req)
	require.NoError(t, err)
	require.NotEmpty(t, resp.GetOutputs())
	probs := resp.GetOutputs()[0]
	require.Equal(t, "probabilities", probs.GetName())
	require.Equal(t, []int64{2, 2}, probs.GetShape())

	body := `{"inputs": [{"name": "text", "shape": [2], "datatype": "BYTES", "data": ["` + strings.Join(texts, `", "`) + `"]}]}`
	hreq, err := http.NewRequestWithContext(ctx, "POST", "http://"+addrs[0]+"/v2/models/"+models.DefaultName+"/infer", strings.NewReader(body))
	require.NoError(t, err)
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Authorization", "Bearer t0ken")
	hresp, err := http.DefaultClient.Do(hreq)
	require.NoError(t, err)
	raw, _ := io.ReadAll(hresp.Body)
	hresp.Body.Close()
	require.Equal(t, 200, hresp.StatusCode, "%s", raw)
	var rest struct {
		Outputs []struct {
			Name string          `json:"name"`
			Data json.RawMessage `json:"data"`
		} `json:"outputs"`
	}
	require.NoError(t, json.Unmarshal(raw, &rest))
	require.Equal(t, "probabilities", rest.Outputs[0].Name)
	var restProbs []float64
	require.NoError(t, json.Unmarshal(rest.Outputs[0].Data, &restProbs))
	got := probs.GetContents().GetFp32Contents()
	require.Len(t, got, len(restProbs))
	for i, want := range restProbs {
		assert.InDelta(t, want, float64(got[i]), 1e-6, "probabilities[%d]", i)
	}
	assert.Greater(t, got[1], got[0], "the positive text is positive")
	assert.Greater(t, got[2], got[3], "the negative text is negative")

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	waited := make(chan error, 1)
	go func() { <-readDone; waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("lucid serve exited %d after SIGTERM:\n%s", ee.ExitCode(), logBuf.String())
		}
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("lucid serve did not stop after SIGTERM:\n%s", logBuf.String())
	}
	assert.Contains(t, logBuf.String(), "shutting down gRPC")
}
