package server

import (
	"context"
	"net/http/httptest"
	"slices"

	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/engine/batching"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/tokenize"
)

// sentences of different lengths, as a service sees them.
var loadTexts = []string{
	"fine",
	"a gorgeous, witty, seductive movie",
	"the plot made no sense and the acting was worse",
	"not bad at all",
	"one of the best films of the year, funny and moving in equal measure",
	"dull",
	"it is a mess, but an entertaining one",
	"i would not recommend it to anyone who values their time",
}

// measure drives the handler with concurrency clients sending one-text
// predict requests for about the given duration, returning requests/s.
func measure(t *testing.T, url string, concurrency int, d time.Duration) float64 {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	n := 0
	stop := time.Now().Add(d)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
	start := time.Now()
	for g := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; time.Now().Before(stop); i++ {
				body := fmt.Sprintf(`{"instances": [%q]}`, loadTexts[(g+i)%len(loadTexts)])
				resp, err := client.Post(url+"/v1/models/"+modelName+":predict", "application/json", strings.NewReader(body))
				if !assert.NoError(t, err) {
					return
				}
				resp.Body.Close()
				assert.Equal(t, 200, resp.StatusCode)
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds()
}

// Predict throughput at concurrency 8 with dynamic batching off, on
// (pad), and on (group by length): logged for the report, never asserted
// (the machine is shared; timings are not a unit test's to judge). The
// configurations take turns, three rounds of a second each, and the
// median is logged with the mean rows per runtime batch.
func TestPredictThroughputLogged(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10-second measurement")
	}
	configs := []struct {
		name string
		cfg  Config
	}{
		{"batching off", Config{}},
		{"batching on, pad", Config{Batching: true, Batch: batching.Options{MaxBatch: 64, MaxWait: 2 * time.Millisecond, Mode: batching.Pad}}},
		{"batching on, group", Config{Batching: true, Batch: batching.Options{MaxBatch: 64, MaxWait: 2 * time.Millisecond, Mode: batching.Group}}},
	}
	servers := make([]*Server, len(configs))
	urls := make([]string, len(configs))
	for i, c := range configs {
		var ts *httptest.Server
		servers[i], ts = newTest(t, c.cfg)
		urls[i] = ts.URL
		measure(t, urls[i], 8, 200*time.Millisecond) // warm up
	}
	rates := make([][]float64, len(configs))
	for range 3 {
		for i := range configs {
			rates[i] = append(rates[i], measure(t, urls[i], 8, time.Second))
		}
	}
	for i, c := range configs {
		var m dto.Metric
		require.NoError(t, servers[i].metrics.batchRows.WithLabelValues(modelName).(prometheus.Histogram).Write(&m))
		h := m.GetHistogram()
		slices.Sort(rates[i])
		t.Logf("predict, concurrency 8, %-18s median %4.0f requests/s (rounds %.0f), mean %.1f rows per runtime batch",
			c.name+":", rates[i][1], rates[i], h.GetSampleSum()/float64(h.GetSampleCount()))
	}
}

// selfSigned writes a certificate and key for 127.0.0.1 into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lucid test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLSAndToken(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	cfg := batchingOn()
	cfg.Token = "tok"
	s, err := New(cfg, []ModelSpec{{Name: modelName, Classifier: shipped(t)}})
	require.NoError(t, err)
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, TLS{CertFile: certFile, KeyFile: keyFile}, time.Second) }()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := "https://" + ln.Addr().String()
	req, _ := http.NewRequest("POST", url+"/v1/models/"+modelName+":predict", strings.NewReader(`{"instances": ["fine"]}`))
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	_, err = http.Get("http://" + ln.Addr().String() + "/v2/health/live")
	if err == nil {
		t.Log("plain HTTP to the TLS port got an answer (Go answers 400 to plain HTTP on a TLS port)")
	}
	stop()
	assert.NoError(t, <-served)
}

// The batcher's gain without HTTP: 8 goroutines each running one-row
// batches of the shipped model directly, through the batcher padding
// rows, and through it grouping rows by length. Logged, not asserted.
func TestEngineBatchingGainLogged(t *testing.T) {
	if testing.Short() {
		t.Skip("a 10-second measurement")
	}
	c := shipped(t)
	var rows []engine.Batch
	for _, text := range loadTexts {
		e, err := c.Tokenizer.Encode(text)
		require.NoError(t, err)
		rows = append(rows, models.BatchOf([]*tokenize.Encoding{e}, c.Tokenizer.PadID()))
	}
	pad := batching.New(c.Model, batching.Options{MaxBatch: 64, MaxWait: 2 * time.Millisecond, Mode: batching.Pad, PadID: c.Tokenizer.PadID()})
	defer pad.Close()
	group := batching.New(c.Model, batching.Options{MaxBatch: 64, MaxWait: 2 * time.Millisecond, Mode: batching.Group, PadID: c.Tokenizer.PadID()})
	defer group.Close()
	candidates := []struct {
		name string
		m    engine.Model
	}{{"direct (batching off)", c.Model}, {"batcher, pad", pad}, {"batcher, group", group}}
	run := func(m engine.Model, d time.Duration) float64 {
		var n atomic.Int64
		var wg sync.WaitGroup
		stop := time.Now().Add(d)
		start := time.Now()
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; time.Now().Before(stop); i++ {
					_, err := m.Run(context.Background(), rows[(g+i)%len(rows)])
					if !assert.NoError(t, err) {
						return
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		return float64(n.Load()) / time.Since(start).Seconds()
	}
	rates := make([][]float64, len(candidates))
	for range 3 {
		for i, m := range candidates {
			rates[i] = append(rates[i], run(m.m, time.Second))
		}
	}
	for i, m := range candidates {
		slices.Sort(rates[i])
		t.Logf("one-row runs, 8 goroutines, %-22s median %5.0f rows/s (rounds %.0f)", m.name+":", rates[i][1], rates[i])
	}
}
