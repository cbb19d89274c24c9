package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/batching"
	"github.com/lucid-nlp/lucid/engine/onnx"
	"github.com/lucid-nlp/lucid/internal/bytesize"
	"github.com/lucid-nlp/lucid/internal/readcap"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/server"
)

const serveHelp = `
Usage: lucid serve [flags]

Serves models over HTTP/JSON until interrupted (Ctrl-C or SIGTERM: the
server stops accepting, finishes the requests in flight within
--shutdown-timeout, and exits 0; a request still running then is
cancelled and answered 503 {"error": ...}).

Endpoints:
  GET  /v2/health/live, /v2/health/ready     Open Inference Protocol v2 (REST);
                                             ready once the models warmed up
  GET  /v2, /v2/                             server metadata
  GET  /v2/models/{name}[/versions/1]        model metadata (version "1";
  GET  /v2/models/{name}[/versions/1]/ready  another version: 404)
  POST /v2/models/{name}[/versions/1]/infer  a BYTES input of texts; outputs
                                             probabilities, logits, label
  GET  /v1/models, /v1/models/{name}         KServe v1
  POST /v1/models/{name}:predict             {"instances": ["text", ...]} (or
                                             "inputs"); logits an array in
                                             label order, "labels" that order
  POST /v1/models/{name}:explain             {"instances": [...], "parameters":
                                             {method, budget, target, output,
                                             features, mask, seed, steps}}
  GET  /metrics                              Prometheus
  GET  /                                     a page: type a text, see the heatmap
Predictions say "head": a multi-label model (config.json's problem_type, or
--head) gives each label's own sigmoid, "labels_above_threshold" (those at
or above --threshold, default 0.5, or their own from --label-thresholds
[NAME=]FILE, as lucid predict reads it; NAME is the served model it is for,
needed when several are served) and "thresholds" by label; a regression
head gives "score". Explanations follow the head likewise.
Sentence pairs (NLI, rerankers): a v1 instance ["text", "text_pair"] or
{"text": ..., "text_pair": ...}; in infer (REST and gRPC) a second BYTES
input named text_pair, one second text per text. Pairs are encoded with
the tokenizer's pair template, cut longest-first; predictions echo
"text_pair" (and "pair_truncation" when cut), explanations mark each
feature's "segment".
A known path asked with another method is 405 with Allow. An empty text
is classified with a warning ("warnings"; infer: "parameters"); a body
that is not UTF-8 is refused (400). The token's scheme may be written in
any case ("bearer").

With --grpc-addr the same server also answers the Open Inference
Protocol's gRPC service, inference.GRPCInferenceService (ServerLive,
ServerReady, ModelReady, ServerMetadata, ModelMetadata, ModelInfer), on
that address: ModelInfer takes one BYTES input of texts (bytes_contents,
or raw_input_contents as 4-byte little-endian length-prefixed strings) and
answers infer's outputs. Same models, batches, limits, --max-queue,
--max-conns and --tls-cert/--tls-key; the token as metadata
"authorization: Bearer TOKEN" (all but ServerLive and ServerReady); a
message at most --max-body. Errors are gRPC codes: InvalidArgument (bad
input, limits), Unauthenticated, NotFound (unknown model or version),
ResourceExhausted (busy, message too large), DeadlineExceeded.

Rows of concurrent requests share ONNX Runtime batches (dynamic batching,
--batching on): up to --max-batch rows or --max-wait, whichever comes
first; a lone request on an idle server whose last batch served one
request goes at once, so light traffic does not pay --max-wait.

What a client must get right, checked in this order before the server
spends anything on it:
  Host       the Host header names this server: with a loopback --addr,
             localhost or a loopback address; with one address, that
             address; with 0.0.0.0 or [::], any IP address or localhost;
             other names only with --allowed-hosts (421 otherwise). A web
             page that a DNS rebinding points at the server is refused.
  token      with --token-file every endpoint but the health checks needs
             "Authorization: Bearer TOKEN" (the page: the browser's login
             prompt, any user name, the token as password), checked before
             any of the body is read (401).
  type       API posts need Content-Type: application/json (415), so a web
             page elsewhere cannot post to them; the page's form is an
             URL-encoded post from the page itself (multipart: 415; from
             another site: 403).
  body       the whole body, at most --max-body (413), within
             --body-timeout plus 1s per --min-body-rate bytes (408): a
             client sending its body slowly never holds an admission slot.
  admission  at most --max-queue requests at once (429 + Retry-After), and
             explanations in flight share --explain-memory-budget by their
             memory estimates (429 when it is spent; 400 for a request
             above it alone).
At most --max-conns connections are open at once; more wait until one
closes. Errors are JSON {"error": "..."}: 400 bad input, 401 token, 403
cross-site form, 404 unknown model or version, 405 wrong method, 408 slow
body, 413 body too large, 415 content type, 421 Host, 429 busy (with
Retry-After), 503 cut off at --shutdown-timeout, 504 past
--request-timeout.

Examples:
  lucid serve
  lucid serve --addr 127.0.0.1:9000 --model sst2=models/sst2-mini-bert --model other=/srv/other
  lucid serve --addr 0.0.0.0:8080 --token-file token --allowed-hosts lucid.example.org
  lucid serve --grpc-addr 127.0.0.1:8081
  curl -s localhost:8080/v1/models/sst2-mini-bert:predict -H 'Content-Type: application/json' -d '{"instances": ["a gorgeous movie"]}'

Limits (checked at start; beyond one is a usage error, exit 2):
--max-batch 1 to 4096, --max-wait 0 to 1s, --max-queue 1 to 100000,
--request-timeout 1ms to 1h, --shutdown-timeout 0 to 1h, --max-body 1KiB
to 1GiB, --max-text 1 to 1000000 bytes, --max-instances 1 to 4096,
--max-explain-instances 1 to 256, --max-budget 1 to 1048576 (2^20),
--max-explain-memory 1MiB to half the machine's memory,
--explain-memory-budget --max-explain-memory to half the machine's memory,
--max-conns 1 to 1000000, --body-timeout 1ms to 1h, --min-body-rate 1 to
1GiB (bytes per second), --sessions 1 to 64, --threads at most 4 per CPU
(256 at most), --token-file at most 4096 bytes.
`

// serve's documented limits.
const (
	maxServeWait         = time.Second
	maxServeQueue        = 100_000
	maxServeTimeout      = time.Hour
	maxServeBody         = 1 << 30
	minServeBody         = 1 << 10
	maxServeText         = 1_000_000
	maxServeInstances    = 4096
	maxServeExplainInsts = 256
	maxTokenFileBytes    = 4096
	maxServeConns        = 1_000_000
)

// modelSpecs is the repeatable --model name=DIR flag.
type modelSpecs []string

func (m *modelSpecs) String() string     { return strings.Join(*m, ",") }
func (m *modelSpecs) Set(s string) error { *m = append(*m, s); return nil }

func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", serveHelp, stderr)
	var specs modelSpecs
	fs.Var(&specs, "model", "a model to serve, NAME=DIR (repeatable); default: the shipped models/"+models.DefaultName+" (or $LUCID_MODEL), named after its folder")
	addr := fs.String("addr", "127.0.0.1:8080", "HOST:PORT to listen on (loopback by default; use a token and TLS to listen wider)")
	device := fs.String("device", "cpu", "where to run: cpu, cuda or cuda:N (needs scripts/setup_ort.sh --gpu)")
	threads := fs.Int("threads", 0, fmt.Sprintf("ONNX Runtime intra-op threads per session, at most %d (default: all CPUs)", maxThreads()))
	sessions := fs.Int("sessions", 1, fmt.Sprintf("ONNX Runtime sessions per model, i.e. batches run at once, 1 to %d", maxSessions))
	library := fs.String("ort-lib", "", "ONNX Runtime shared library (default: $LUCID_ORT_LIB, then the scripts/setup_ort.sh cache)")
	threshold := fs.Float64("threshold", models.DefaultLabelThreshold, "multi-label models: report the labels whose probability is at least this, 0 to 1")
	var labelThr modelSpecs
	fs.Var(&labelThr, "label-thresholds", `multi-label models: per-label thresholds, [NAME=]FILE (repeatable; NAME names the served model, needed when several are served): a JSON object {"label": t} or TSV lines label<TAB>t (others keep --threshold)`)
	headFlag := fs.String("head", "", "how every served model's logits become outputs: single-label, multi-label or regression (default: each config.json's problem_type, else transformers' rule)")
	batchingMode := fs.String("batching", "on", "dynamic batching across requests: on or off")
	batchMode := fs.String("batch-mode", "pad", "rows of different lengths in one batch: pad (to the longest) or group (equal lengths only)")
	maxBatchRows := fs.Int("max-batch", batching.DefaultMaxBatch, fmt.Sprintf("rows per ONNX Runtime batch, 1 to %d", maxBatch))
	maxWait := fs.Duration("max-wait", batching.DefaultMaxWait, fmt.Sprintf("longest a row waits for others to fill its batch, 0 to %v", maxServeWait))
	maxQueue := fs.Int("max-queue", server.DefaultMaxInFlight, fmt.Sprintf("requests admitted at once (running or waiting); more get 429 + Retry-After, 1 to %d", maxServeQueue))
	reqTimeout := fs.Duration("request-timeout", server.DefaultRequestTimeout, fmt.Sprintf("deadline of one request, 1ms to %v", maxServeTimeout))
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, fmt.Sprintf("on SIGTERM, how long requests in flight may take to finish, 0 to %v", maxServeTimeout))
	tokenFile := fs.String("token-file", "", "file holding a bearer token every request must carry (Authorization: Bearer TOKEN)")
	tlsCert := fs.String("tls-cert", "", "TLS certificate (PEM); with --tls-key, serve HTTPS")
	tlsKey := fs.String("tls-key", "", "TLS private key (PEM)")
	maxBody := byteSize(server.DefaultMaxBodyBytes)
	fs.Var(&maxBody, "max-body", "largest request body, 1KiB to 1GiB")
	maxText := fs.Int("max-text", server.DefaultMaxTextBytes, fmt.Sprintf("longest text in bytes, 1 to %d", maxServeText))
	maxInstances := fs.Int("max-instances", server.DefaultMaxInstances, fmt.Sprintf("texts per predict or infer request, 1 to %d", maxServeInstances))
	maxExplain := fs.Int("max-explain-instances", server.DefaultMaxExplainInstances, fmt.Sprintf("texts per explain request, 1 to %d", maxServeExplainInsts))
	maxBudgetFlag := fs.Int("max-budget", server.DefaultMaxBudget, fmt.Sprintf("most evaluations one explanation may ask for, 1 to %d", maxBudget))
	maxMemory := byteSize(server.DefaultMaxMemoryBytes)
	fs.Var(&maxMemory, "max-explain-memory", "most memory one explanation may take by its estimate, 1MiB to half the machine's memory")
	memBudget := byteSize(min(server.DefaultMaxTotalExplain, defaultMaxMemory()))
	fs.Var(&memBudget, "explain-memory-budget", "most memory all explanations in flight may take together, by their estimates; more get 429 (default 1GiB, at most half the machine's memory)")
	maxConns := fs.Int("max-conns", server.DefaultMaxConns, fmt.Sprintf("connections open at once; more wait until one closes, 1 to %d", maxServeConns))
	bodyTimeout := fs.Duration("body-timeout", server.DefaultBodyTimeout, fmt.Sprintf("a request body must arrive within this, plus 1s per --min-body-rate bytes, 1ms to %v", maxServeTimeout))
	minBodyRate := byteSize(server.DefaultMinBodyRate)
	fs.Var(&minBodyRate, "min-body-rate", "slowest a request body may arrive, in bytes per second beyond --body-timeout, 1 to 1GiB")
	grpcAddr := fs.String("grpc-addr", "", "HOST:PORT to also serve the Open Inference Protocol's gRPC service on (default: no gRPC)")
	allowedHosts := fs.String("allowed-hosts", "", "comma-separated names the Host header may carry besides the listen address ('*': any); needed to reach the server by a DNS name")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve takes no arguments, got %q", termSafe(fs.Arg(0)))
	}
	if math.IsNaN(*threshold) || *threshold < 0 || *threshold > 1 {
		return usagef("--threshold %v: want a probability from 0 to 1", *threshold)
	}
	thresholdSet := len(labelThr) > 0
	fs.Visit(func(f *flag.Flag) { thresholdSet = thresholdSet || f.Name == "threshold" })
	dev, err := onnx.ParseDevice(*device)
	if err != nil {
		return usageError{err.Error()}
	}
	mode, err := batching.ParseMode(*batchMode)
	if err != nil {
		return usageError{err.Error()}
	}
	if err := firstError(
		intFlag("threads", *threads, 0, maxThreads()),
		intFlag("sessions", *sessions, 1, maxSessions),
		intFlag("max-batch", *maxBatchRows, 1, maxBatch),
		intFlag("max-queue", *maxQueue, 1, maxServeQueue),
		intFlag("max-text", *maxText, 1, maxServeText),
		intFlag("max-instances", *maxInstances, 1, maxServeInstances),
		intFlag("max-explain-instances", *maxExplain, 1, maxServeExplainInsts),
		intFlag("max-budget", *maxBudgetFlag, 1, maxBudget),
		durationFlag("max-wait", *maxWait, 0, maxServeWait),
		durationFlag("request-timeout", *reqTimeout, time.Millisecond, maxServeTimeout),
		durationFlag("shutdown-timeout", *shutdownTimeout, 0, maxServeTimeout),
		intFlag("max-conns", *maxConns, 1, maxServeConns),
		durationFlag("body-timeout", *bodyTimeout, time.Millisecond, maxServeTimeout),
	); err != nil {
		return err
	}
	if maxBody < minServeBody || maxBody > maxServeBody {
		return usagef("--max-body %s: want 1KiB to 1GiB", bytesize.Format(int64(maxBody)))
	}
	if memLimit := defaultMaxMemory(); int64(maxMemory) < 1<<20 || int64(maxMemory) > memLimit {
		return usagef("--max-explain-memory %s: want 1MiB to %s (half the machine's memory)", bytesize.Format(int64(maxMemory)), bytesize.Format(memLimit))
	}
	if memLimit := defaultMaxMemory(); int64(memBudget) < int64(maxMemory) || int64(memBudget) > memLimit {
		return usagef("--explain-memory-budget %s: want --max-explain-memory (%s) to %s (half the machine's memory)", bytesize.Format(int64(memBudget)), bytesize.Format(int64(maxMemory)), bytesize.Format(memLimit))
	}
	if minBodyRate < 1 || minBodyRate > 1<<30 {
		return usagef("--min-body-rate %s: want 1 B to 1GiB (bytes per second)", bytesize.Format(int64(minBodyRate)))
	}
	hosts, err := parseHosts(*allowedHosts)
	if err != nil {
		return err
	}
	if *grpcAddr != "" {
		_, port, err := net.SplitHostPort(*grpcAddr)
		if err != nil {
			return usagef("--grpc-addr %q: want HOST:PORT: %v", termSafe(*grpcAddr), err)
		}
		if *grpcAddr == *addr && port != "0" { // port 0: the kernel picks two
			return usagef("--grpc-addr %s is --addr's too: give gRPC a port of its own", termSafe(*grpcAddr))
		}
	}
	if *batchingMode != "on" && *batchingMode != "off" {
		return usagef("--batching %q: want on or off", termSafe(*batchingMode))
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together: give both or neither")
	}
	if *tlsCert != "" {
		if _, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey); err != nil {
			return usagef("--tls-cert %s --tls-key %s: %v", termSafe(*tlsCert), termSafe(*tlsKey), err)
		}
	}
	token, err := readToken(*tokenFile)
	if err != nil {
		return err
	}
	named, err := parseModelSpecs(specs)
	if err != nil {
		return err
	}
	var head *engine.Head
	if *headFlag != "" {
		h, err := engine.ParseHead(*headFlag)
		if err != nil {
			return usagef("--head %q: want single-label, multi-label or regression", termSafe(*headFlag))
		}
		head = &h
	}

	var served []server.ModelSpec
	defer func() {
		for _, m := range served {
			m.Classifier.Close()
		}
	}()
	for _, nm := range named {
		opts := []onnx.Option{onnx.WithDevice(dev), onnx.WithThreads(*threads), onnx.WithSessions(*sessions), onnx.WithLibrary(*library)}
		folder := nm.folder
		if folder == nil {
			if folder, err = models.ReadFolder(nm.dir); err != nil {
				return fmt.Errorf("model %s: %w", nm.name, err)
			}
		}
		if head != nil {
			folder.SetHead(*head)
		}
		clf, err := models.LoadFolder(folder, opts...)
		if err != nil {
			return fmt.Errorf("model %s: %w", nm.name, err)
		}
		if note := clf.HeadNote(); note != "" {
			fmt.Fprintf(stderr, "note: model %s: %s\n", termSafe(nm.name), termSafe(note))
		}
		served = append(served, server.ModelSpec{Name: nm.name, Classifier: clf})
	}
	if err := serveThresholds(ctx, served, labelThr, *threshold, thresholdSet); err != nil {
		return err
	}
	logger := log.New(stderr, "lucid serve: ", log.LstdFlags)
	srv, err := server.New(server.Config{
		Limits: server.Limits{MaxBodyBytes: int64(maxBody), MaxTextBytes: *maxText, MaxInstances: *maxInstances,
			MaxExplainInstances: *maxExplain, MaxBudget: *maxBudgetFlag, MaxMemoryBytes: int64(maxMemory), MaxTotalExplainBytes: int64(memBudget)},
		Token: token, RequestTimeout: *reqTimeout, MaxInFlight: *maxQueue,
		AllowedHosts: hosts, MaxConns: *maxConns, BodyTimeout: *bodyTimeout, MinBodyRate: int64(minBodyRate),
		Batching: *batchingMode == "on", Sessions: *sessions,
		Batch: batching.Options{MaxBatch: *maxBatchRows, MaxWait: waitOrNow(*maxWait), Concurrency: *sessions, Mode: mode},
		Log:   logger,
	}, served)
	if err != nil {
		return usageError{err.Error()}
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", termSafe(*addr), err)
	}
	scheme := "http"
	if *tlsCert != "" {
		scheme = "https"
	}
	names := make([]string, len(served))
	for i, m := range served {
		names[i] = m.Name
	}
	logger.Printf("listening on %s://%s (models: %s; batching %s, max batch %d, max wait %v)",
		scheme, ln.Addr(), termSafe(strings.Join(names, ", ")), *batchingMode, *maxBatchRows, *maxWait)
	if host, _, _ := net.SplitHostPort(*addr); !isLoopback(host) && token == "" {
		logger.Printf("warning: listening beyond loopback (%s) without --token-file: anyone who can reach it can use the models", termSafe(*addr))
	}
	tlsFiles := server.TLS{CertFile: *tlsCert, KeyFile: *tlsKey}
	if *grpcAddr == "" {
		return srv.Serve(ctx, ln, tlsFiles, *shutdownTimeout)
	}
	gln, err := net.Listen("tcp", *grpcAddr)
	if err != nil {
		ln.Close()
		return fmt.Errorf("--grpc-addr %s: %w", termSafe(*grpcAddr), err)
	}
	tlsNote := "plaintext"
	if *tlsCert != "" {
		tlsNote = "TLS"
	}
	logger.Printf("gRPC (inference.GRPCInferenceService) listening on %s (%s)", gln.Addr(), tlsNote)
	if host, _, _ := net.SplitHostPort(*grpcAddr); !isLoopback(host) && token == "" {
		logger.Printf("warning: gRPC listening beyond loopback (%s) without --token-file: anyone who can reach it can use the models", termSafe(*grpcAddr))
	}
	// Both stop together: on SIGTERM each finishes its calls in flight;
	// when one fails, the other shuts down gracefully too.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	grpcErr := make(chan error, 1)
	go func() {
		err := srv.ServeGRPC(ctx, gln, tlsFiles, *shutdownTimeout)
		cancel()
		grpcErr <- err
	}()
	err = srv.Serve(ctx, ln, tlsFiles, *shutdownTimeout)
	cancel()
	return errors.Join(err, <-grpcErr)
}

// parseHosts reads --allowed-hosts: comma-separated host names (no
// ports, no schemes), or "*".
func parseHosts(list string) ([]string, error) {
	var out []string
	for _, h := range strings.Split(list, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if h != "*" && (strings.ContainsAny(h, ":/ @") || strings.Contains(h, "*")) {
			return nil, usagef("--allowed-hosts: %q is not a host name: give names without scheme or port (example.org), or * for any", termSafe(h))
		}
		out = append(out, h)
	}
	return out, nil
}

// waitOrNow maps --max-wait 0 (run as soon as a runner is free) to the
// batcher's "no wait".
func waitOrNow(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// durationFlag checks that a duration flag lies in [lo, hi].
func durationFlag(name string, v, lo, hi time.Duration) error {
	if v < lo || v > hi {
		return usagef("--%s %v: want %v to %v", name, v, lo, hi)
	}
	return nil
}

// readToken reads --token-file: one token, surrounding whitespace removed.
func readToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	// readcap: a FIFO or device named here cannot hang start-up past an
	// interrupt.
	f, err := readcap.Open(context.Background(), path)
	if err != nil {
		return "", usagef("--token-file: %v", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxTokenFileBytes+1))
	if err != nil {
		return "", usagef("--token-file %s: %v", termSafe(path), err)
	}
	if len(raw) > maxTokenFileBytes {
		return "", usagef("--token-file %s is longer than %d bytes: want one token", termSafe(path), maxTokenFileBytes)
	}
	tok := strings.TrimSpace(string(raw))
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return "", usagef("--token-file %s: want one token (no spaces), found %d bytes", termSafe(path), len(tok))
	}
	return tok, nil
}

// namedModel is one --model: a folder on disk, or (folder set) the
// default model, which may be the copy built into the binary.
type namedModel struct {
	name, dir string
	folder    *models.Folder
}

// parseModelSpecs reads --model NAME=DIR (or a bare DIR, named after its
// folder); none means the default model.
func parseModelSpecs(specs []string) ([]namedModel, error) {
	if len(specs) == 0 {
		// $LUCID_MODEL, else the embedded copy: no working directory
		// needed.
		f, err := models.Default()
		if err != nil {
			return nil, err
		}
		name := models.DefaultName
		if f.FS == nil {
			name = filepath.Base(filepath.Clean(f.Dir))
		}
		if err := server.CheckName(name); err != nil {
			return nil, usagef("$%s %q: %v", models.ModelEnv, termSafe(f.Dir), err)
		}
		return []namedModel{{name: name, dir: f.Dir, folder: f}}, nil
	}
	var out []namedModel
	seen := map[string]bool{}
	for _, s := range specs {
		name, dir, ok := strings.Cut(s, "=")
		if !ok {
			dir = s
			name = filepath.Base(filepath.Clean(s))
		}
		if dir == "" {
			return nil, usagef("--model %q: want NAME=DIR", termSafe(s))
		}
		if err := server.CheckName(name); err != nil {
			return nil, usagef("--model %q: %v", termSafe(s), strings.TrimPrefix(err.Error(), "server: "))
		}
		if seen[name] {
			return nil, usagef("--model: the name %q is given twice", termSafe(name))
		}
		seen[name] = true
		if _, err := models.ReadFolder(dir); err != nil {
			return nil, usageError{err.Error()}
		}
		out = append(out, namedModel{name: name, dir: dir})
	}
	return out, nil
}

// serveThresholds gives each served multi-label model its thresholds:
// --threshold for every label, then its --label-thresholds file's. A file
// is for the model its NAME= names, or for the one model served; a
// threshold flag with no multi-label model to judge is a usage error, as
// in lucid predict.
func serveThresholds(ctx context.Context, served []server.ModelSpec, files []string, def float64, set bool) error {
	byName := map[string]string{}
	for _, f := range files {
		name, path, ok := strings.Cut(f, "=")
		if !ok || !slices.ContainsFunc(served, func(m server.ModelSpec) bool { return m.Name == name }) {
			if len(served) > 1 {
				return usagef("--label-thresholds %q: several models are served; write NAME=FILE with NAME one of them", termSafe(f))
			}
			name, path = served[0].Name, f
		}
		if _, dup := byName[name]; dup {
			return usagef("--label-thresholds: model %s is given thresholds twice", termSafe(name))
		}
		byName[name] = path
	}
	multi := false
	for i := range served {
		m := &served[i]
		if head := m.Classifier.Head(); head != engine.MultiLabel {
			if _, ok := byName[m.Name]; ok {
				return usagef("--label-thresholds are for multi-label models; the model %s has a %s head", termSafe(m.Name), head)
			}
			continue
		}
		multi = true
		if path, ok := byName[m.Name]; ok {
			thr, err := readLabelThresholds(ctx, path, m.Classifier.Labels(), def)
			if err != nil {
				return usageError{fmt.Sprintf("model %s: %v", termSafe(m.Name), err)}
			}
			m.Thresholds = thr
			continue
		}
		m.Thresholds = make([]float64, len(m.Classifier.Labels()))
		for j := range m.Thresholds {
			m.Thresholds[j] = def
		}
	}
	if set && !multi {
		return usagef("--threshold and --label-thresholds are for multi-label models; no served model has a multi-label head")
	}
	return nil
}
