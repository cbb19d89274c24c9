package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("  \n"), 0o600))
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--max-batch", "0"}, "--max-batch 0: want at least 1"},
		{[]string{"--max-batch", "5000"}, "--max-batch 5000: above the limit of 4096"},
		{[]string{"--max-wait", "2s"}, "--max-wait 2s: want 0s to 1s"},
		{[]string{"--max-queue", "0"}, "--max-queue 0"},
		{[]string{"--request-timeout", "0s"}, "--request-timeout 0s"},
		{[]string{"--max-budget", "2000000"}, "--max-budget 2000000: above the limit of 1048576"},
		{[]string{"--max-body", "10"}, "--max-body 10 B: want 1KiB to 1GiB"},
		{[]string{"--max-explain-memory", "1KiB"}, "--max-explain-memory 1.0 KiB: want 1MiB to"},
		{[]string{"--batching", "maybe"}, `--batching "maybe": want on or off`},
		{[]string{"--batch-mode", "fast"}, `mode "fast"`},
		{[]string{"--tls-cert", "c.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"--token-file", filepath.Join(dir, "missing")}, "--token-file"},
		{[]string{"--token-file", empty}, "want one token"},
		{[]string{"--model", "bad/name=" + dir}, `model name "bad/name"`},
		{[]string{"--model", "x=" + dir}, "lacks"},
		{[]string{"extra"}, "serve takes no arguments"},
		{[]string{"--max-conns", "0"}, "--max-conns 0"},
		{[]string{"--body-timeout", "0s"}, "--body-timeout 0s"},
		{[]string{"--min-body-rate", "0"}, "-min-body-rate: size \"0\": want a positive size"},
		{[]string{"--explain-memory-budget", "1MiB"}, "--explain-memory-budget 1.0 MiB: want --max-explain-memory (256.0 MiB)"},
		{[]string{"--allowed-hosts", "http://example.org"}, `--allowed-hosts: "http://example.org" is not a host name`},
	} {
		code, _, stderr := lucid(t, "", append([]string{"serve"}, c.args...)...)
		assert.Equal(t, exitUsage, code, "%v: %s", c.args, stderr)
		assert.Contains(t, stderr, c.msg, "%v", c.args)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// lucid serve answers the verbs; its explanations are `lucid explain
// --json`'s for the same settings and seed; an interrupt ends it with 0.
func TestServeMatchesExplainJSON(t *testing.T) {
	srv := startServe(t, "--model", "sst2="+filepath.Join("..", "..", "models", "sst2-mini-bert"))
	url := srv.url

	text := "the plot made no sense, but the cast is wonderful"
	resp, err := http.Post(url+"/v1/models/sst2:explain", "application/json",
		strings.NewReader(`{"instances": [`+quote(text)+`], "parameters": {"method": "kernelshap", "budget": 96, "seed": 5, "output": "logodds"}}`))
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode, "%s", raw)
	var served struct {
		Explanations []map[string]any `json:"explanations"`
	}
	require.NoError(t, json.Unmarshal(raw, &served))
	require.Len(t, served.Explanations, 1)

	code, stdout, errOut := lucid(t, "", "explain", "--json", "--model", filepath.Join("..", "..", "models", "sst2-mini-bert"),
		"--method", "kernelshap", "--budget", "96", "--seed", "5", "--output", "logodds", text)
	require.Equal(t, exitOK, code, errOut)
	cli := jsonLines(t, stdout)
	require.Len(t, cli, 1)
	got, want := served.Explanations[0], cli[0]
	for _, k := range []string{"wall_seconds", "runtime_seconds", "model", "batch_texts", "batch_wall_seconds", "wall_share_seconds"} {
		delete(got, k)
		delete(want, k)
	}
	assertSameJSON(t, want, got, "")

	code, stderr := srv.stop()
	assert.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stderr, "listening on "+url)
	assert.Contains(t, stderr, "shutting down")
}

// servedLucid is a lucid serve running in the test's process.
type servedLucid struct {
	url    string
	cancel context.CancelFunc
	exited chan int
	stderr *bytes.Buffer
}

// startServe runs lucid serve with args on a free loopback port and waits
// until it says it is ready; the test stops it (if it has not) at its end.
func startServe(t *testing.T, args ...string) *servedLucid {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &servedLucid{url: "http://" + addr, cancel: cancel, exited: make(chan int, 1), stderr: &bytes.Buffer{}}
	go func() {
		s.exited <- run(ctx, append([]string{"serve", "--addr", addr}, args...), strings.NewReader(""), io.Discard, s.stderr)
	}()
	t.Cleanup(func() { s.stop() })
	require.Eventually(t, func() bool {
		resp, err := http.Get(s.url + "/v2/health/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 60*time.Second, 20*time.Millisecond, "lucid serve %v never became ready", args)
	return s
}

// stop interrupts the server and returns its exit code and standard error
// (-1 when it did not stop within 30 s).
func (s *servedLucid) stop() (int, string) {
	s.cancel()
	select {
	case code := <-s.exited:
		s.exited <- code // a second stop reads it again
		return code, s.stderr.String()
	case <-time.After(30 * time.Second):
		return -1, s.stderr.String()
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// assertSameJSON compares decoded JSON values, numbers within 1e-5.
func assertSameJSON(t *testing.T, want, got any, path string) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		require.True(t, ok, "%s: want an object, got %v", path, got)
		assert.Equal(t, len(w), len(g), "%s: keys %v vs %v", path, w, g)
		for k, v := range w {
			assertSameJSON(t, v, g[k], path+"."+k)
		}
	case []any:
		g, ok := got.([]any)
		require.True(t, ok, "%s: want an array, got %v", path, got)
		require.Len(t, g, len(w), path)
		for i := range w {
			assertSameJSON(t, w[i], g[i], path+"["+strconv.Itoa(i)+"]")
		}
	case float64:
		assert.InDelta(t, w, got, 1e-5, path)
	default:
		assert.Equal(t, want, got, path)
	}
}
