package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// serveReal runs s.Serve on a fresh 127.0.0.1 port (real connections,
// deadlines and the connection cap) and returns its base URL.
func serveReal(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	s, err := New(cfg, []ModelSpec{{Name: modelName, Classifier: shipped(t)}})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, TLS{}, 5*time.Second) }()
	t.Cleanup(func() {
		stop()
		<-served
		s.Close()
	})
	return s, "http://" + ln.Addr().String()
}

func postJSON(t *testing.T, client *http.Client, url, body string) int {
	t.Helper()
	resp, err := client.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Slow-loris: 256 sockets each sending a request body a byte at a time
// (every 500 ms) hold no admission slot, so a normal client keeps getting
// answers while they trickle, and each slow socket is cut off with 408
// once its body is late. Before admission came after the body, the 256
// bodies held all 4 slots and the normal client got 429s.
func TestSlowBodiesDoNotStarve(t *testing.T) {
	const slow = 256
	cfg := batchingOn()
	cfg.MaxInFlight = 4
	cfg.BodyTimeout = 1500 * time.Millisecond
	s, base := serveReal(t, cfg)
	host := strings.TrimPrefix(base, "http://")

	var cut atomic.Int64
	var wg sync.WaitGroup
	ready := make(chan struct{}, slow)
	for range slow {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", host)
			if !assert.NoError(t, err) {
				ready <- struct{}{}
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "POST /v1/models/%s:predict HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", modelName, host)
			ready <- struct{}{}
			answered := make(chan string, 1)
			go func() {
				line, _ := bufio.NewReader(c).ReadString('\n')
				answered <- line
			}()
			tick := time.NewTicker(500 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case line := <-answered:
					if strings.HasPrefix(line, "HTTP/1.1 408") {
						cut.Add(1)
					}
					return
				case <-tick.C:
					if _, err := c.Write([]byte(" ")); err != nil {
						return
					}
				}
			}
		}()
	}
	for range slow {
		<-ready
	}
	// The normal client, while every slow body is still arriving.
	client := &http.Client{Timeout: 30 * time.Second}
	predict := base + "/v1/models/" + modelName + ":predict"
	codes := map[int]int{}
	for range 10 {
		codes[postJSON(t, client, predict, `{"instances": ["a gorgeous, witty movie"]}`)]++
		assert.LessOrEqual(t, s.InFlight(), 1, "slow bodies hold no admission slot")
	}
	assert.Equal(t, map[int]int{200: 10}, codes, "every normal request answered while %d bodies trickle", slow)
	wg.Wait()
	assert.Equal(t, int64(slow), cut.Load(), "every slow body cut off with 408")
}

// rss is the test process's resident set, in bytes (Linux).
func rss(t *testing.T) int64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skipf("no /proc/self/statm (%v): the RSS test needs Linux", err)
	}
	f := strings.Fields(string(raw))
	pages, err := strconv.ParseInt(f[1], 10, 64)
	require.NoError(t, err)
	return pages * int64(os.Getpagesize())
}

// endless is an unending body that allocates nothing per byte.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// An unauthenticated flood of 32 MiB multipart posts to the page's form
// on a server with a token: each is refused (401) from its headers, the
// body never read, so the process's RSS stays flat. (Before, each was
// parsed before the token check: 16 requests took RSS from 465 to 1,208
// MiB.) Tolerance: the peak RSS during the flood within 64 MiB of the
// RSS before it (the client's buffers and the connections' included).
func TestUnauthenticatedMultipartFloodFlatRSS(t *testing.T) {
	const requests, parallel, size = 64, 8, 32 << 20
	cfg := batchingOn()
	cfg.Token = "s3cret"
	_, base := serveReal(t, cfg)
	client := &http.Client{Timeout: 30 * time.Second}
	post := func() (int, error) {
		pr, pw := io.Pipe()
		go func() {
			fmt.Fprint(pw, "--b\r\nContent-Disposition: form-data; name=\"text\"; filename=\"x\"\r\n\r\n")
			_, err := io.Copy(pw, io.LimitReader(endless{}, size))
			pw.CloseWithError(err)
		}()
		defer pr.Close()
		req, err := http.NewRequest("POST", base+pageRoute, pr)
		require.NoError(t, err)
		req.ContentLength = size + 100
		req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	_, _ = post() // warm up: connections, buffers
	runtime.GC()
	debug.FreeOSMemory()
	before := rss(t)
	var peak atomic.Int64
	peak.Store(before)
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				if r := rss(t); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	}()
	var refused, reset atomic.Int64
	var wg sync.WaitGroup
	work := make(chan struct{}, requests)
	for range requests {
		work <- struct{}{}
	}
	close(work)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				code, err := post()
				switch {
				case err != nil:
					// The server answered 401 and closed the connection
					// before the client finished writing its body.
					reset.Add(1)
				case code == http.StatusUnauthorized:
					refused.Add(1)
				default:
					t.Errorf("an unauthenticated multipart post got %d", code)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	after := rss(t)
	growth := peak.Load() - before
	t.Logf("%d unauthenticated 32 MiB multipart posts (%d answered 401, %d cut off mid-body): RSS %.1f MiB before, peak %.1f MiB, %.1f MiB after",
		requests, refused.Load(), reset.Load(), float64(before)/(1<<20), float64(peak.Load())/(1<<20), float64(after)/(1<<20))
	assert.Greater(t, refused.Load(), int64(0), "some posts read their 401")
	if raceDetector {
		t.Log("not checking the RSS bound under -race: the race detector's shadow memory grows with every goroutine and allocation")
		return
	}
	assert.Less(t, growth, int64(64<<20), "peak RSS grew by %.1f MiB", float64(growth)/(1<<20))
}

// Authenticated, the form still refuses multipart (no temporary files)
// and bodies above --max-body; the token works from the browser's login
// prompt (HTTP Basic, the token as password) and never from the form.
func TestFormPostsBoundedAndAuthenticated(t *testing.T) {
	cfg := batchingOn()
	cfg.Token = "s3cret"
	cfg.MaxBodyBytes = 4096
	_, ts := newTest(t, cfg)
	form := url.Values{"text": {"a gorgeous, witty movie"}, "model": {modelName}, "method": {"occlusion"}}
	send := func(body, ctype string, header ...string) (int, string, http.Header) {
		req, err := http.NewRequest("POST", ts.URL+pageRoute, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", ctype)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(raw), resp.Header
	}
	const urlenc = "application/x-www-form-urlencoded"
	withToken := url.Values{"text": form["text"], "model": form["model"], "method": form["method"], "token": {"s3cret"}}
	code, body, h := send(withToken.Encode(), urlenc)
	assert.Equal(t, 401, code, "a token in the form is not read: %s", body)
	assert.Contains(t, h.Get("WWW-Authenticate"), "Basic", "the browser is asked for the token")
	code, _, _ = send(form.Encode(), urlenc, "Authorization", "Basic "+basic("anyone", "wrong"))
	assert.Equal(t, 401, code)
	auth := []string{"Authorization", "Basic " + basic("anyone", "s3cret")}
	code, body, _ = send("--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nfine\r\n--b--\r\n", "multipart/form-data; boundary=b", auth...)
	assert.Equal(t, 415, code)
	assert.Contains(t, body, "multipart is not accepted")
	code, body, _ = send("text="+strings.Repeat("a", 5000), urlenc, auth...)
	assert.Equal(t, 413, code)
	assert.Contains(t, body, "limit of 4096 bytes (--max-body)")
	code, body, _ = send(form.Encode(), urlenc, append(auth, "Sec-Fetch-Site", "cross-site")...)
	assert.Equal(t, 403, code)
	assert.Contains(t, body, "from another site")
	code, body, _ = send(form.Encode(), urlenc, append(auth, "Origin", "http://evil.example")...)
	assert.Equal(t, 403, code)
	assert.Contains(t, body, `http://evil.example`)
	assert.Contains(t, body, `refused`)
	code, body, _ = send(form.Encode(), urlenc, append(auth, "Origin", ts.URL, "Sec-Fetch-Site", "same-origin")...)
	require.Equal(t, 200, code, body)
	assert.Contains(t, body, `class="heat"`)
	code, _, _ = send(form.Encode(), urlenc, "Authorization", "Bearer s3cret")
	assert.Equal(t, 200, code, "a bearer token works for the form too")

	// The page itself asks for the token the same way.
	resp, err := http.Get(ts.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 401, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
}

func basic(user, pass string) string {
	req, _ := http.NewRequest("GET", "http://x/", nil)
	req.SetBasicAuth(user, pass)
	return strings.TrimPrefix(req.Header.Get("Authorization"), "Basic ")
}

// API posts must say application/json: a cross-site "simple" POST
// (text/plain, or a form) is refused before its body is read.
func TestAPIPostsNeedJSON(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	for _, path := range []string{"/v1/models/" + modelName + ":predict", "/v1/models/" + modelName + ":explain", "/v2/models/" + modelName + "/infer"} {
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""} {
			code, v, _ := do(t, "POST", ts.URL+path, `{"instances": ["fine"]}`, "Content-Type", ct)
			assert.Equal(t, 415, code, "%s with %q", path, ct)
			assert.Contains(t, v["error"], "want application/json", "%s with %q", path, ct)
		}
	}
	code, _, _ := do(t, "POST", ts.URL+"/v1/models/"+modelName+":predict", `{"instances": ["fine"]}`, "Content-Type", "application/json; charset=utf-8")
	assert.Equal(t, 200, code, "parameters of the media type are fine")
}

// The Host header must name this server: a DNS-rebinding page sends its
// own name, refused with 421; --allowed-hosts adds names.
func TestHostCheck(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	port := ts.URL[strings.LastIndex(ts.URL, ":"):]
	for host, want := range map[string]int{"127.0.0.1" + port: 200, "localhost" + port: 200, "[::1]" + port: 200,
		"LOCALHOST.": 200, "evil.example" + port: 421, "10.0.0.1" + port: 421} {
		req, err := http.NewRequest("GET", ts.URL+"/v1/models", nil)
		require.NoError(t, err)
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, want, resp.StatusCode, "Host %q: %s", host, raw)
		if want == 421 {
			assert.Contains(t, string(raw), "--allowed-hosts", "Host %q", host)
		}
	}

	cfg := batchingOn()
	cfg.AllowedHosts = []string{"lucid.example.org"}
	s, err := New(cfg, []ModelSpec{{Name: modelName, Classifier: shipped(t)}})
	require.NoError(t, err)
	defer s.Close()
	assert.True(t, s.hostAllowed("lucid.example.org:8080"))
	assert.True(t, s.hostAllowed("Lucid.Example.Org"))
	assert.False(t, s.hostAllowed("example.org"))
	assert.False(t, s.hostAllowed(""), "no Host (HTTP/1.0)")
	assert.True(t, s.hostAllowed("127.0.0.1:1"), "loopback while the listener is unknown")
	ip := net.ParseIP("192.0.2.7")
	s.listenIP.Store(&ip)
	assert.True(t, s.hostAllowed("192.0.2.7:80"), "the listen address")
	assert.False(t, s.hostAllowed("192.0.2.8"), "another address")
	assert.False(t, s.hostAllowed("localhost"), "not listening on loopback")
	all := net.IPv4zero
	s.listenIP.Store(&all)
	assert.True(t, s.hostAllowed("192.0.2.8"), "any address when listening on all")
	assert.False(t, s.hostAllowed("evil.example"), "but no names")
	s.cfg.AllowedHosts = []string{"*"}
	assert.True(t, s.hostAllowed("evil.example"), "* allows any")
}

// --max-conns: with 2 connections open, a third waits (unanswered) until
// one of them closes, then gets its answer.
func TestMaxConns(t *testing.T) {
	cfg := batchingOn()
	cfg.MaxConns = 2
	s, base := serveReal(t, cfg)
	host := strings.TrimPrefix(base, "http://")
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", host)
		require.NoError(t, err)
		// A whole request and its answer: the server has accepted it.
		fmt.Fprintf(c, "GET /v2/health/live HTTP/1.1\r\nHost: %s\r\n\r\n", host)
		line, err := bufio.NewReader(c).ReadString('\n')
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(line, "HTTP/1.1 200"), line)
		held = append(held, c)
	}
	assert.Equal(t, 2, s.OpenConns())
	third, err := net.Dial("tcp", host) // the kernel's backlog takes it
	require.NoError(t, err)
	defer third.Close()
	fmt.Fprintf(third, "GET /v2/health/live HTTP/1.1\r\nHost: %s\r\n\r\n", host)
	answered := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(third).ReadString('\n')
		answered <- line
	}()
	select {
	case line := <-answered:
		t.Fatalf("a third connection was served while 2 were open: %q", line)
	case <-time.After(300 * time.Millisecond):
	}
	assert.Equal(t, 2, s.OpenConns())
	held[0].Close()
	select {
	case line := <-answered:
		assert.True(t, strings.HasPrefix(line, "HTTP/1.1 200"), line)
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting connection was not served after one closed")
	}
	held[1].Close()
}

// The server-wide memory budget: explanations in flight share it by
// their estimates; a request that does not fit beside them gets 429, one
// above the whole budget 400, and the budget is whole again afterwards.
func TestExplainMemoryBudget(t *testing.T) {
	text := "the plot made no sense, but the cast is wonderful"
	cfg := batchingOn()
	s0, _ := newTest(t, cfg)
	m := s0.models[modelName]
	req, _, err := m.request(ExplainParameters{Budget: 256}, s0.cfg.Limits)
	require.NoError(t, err)
	one, err := m.estimate([]string{text}, req)
	require.NoError(t, err)
	require.Positive(t, one)
	// Room for two such explanations and a little, not three.
	cfg.MaxTotalExplainBytes = 2*one + one/2
	s, ts := newTest(t, cfg)
	explain := ts.URL + "/v1/models/" + modelName + ":explain"
	body := func(n int) string {
		return `{"instances": [` + strings.TrimSuffix(strings.Repeat(quote(text)+",", n), ",") + `], "parameters": {"budget": 256}}`
	}
	code, v, _ := do(t, "POST", explain, body(2))
	assert.Equal(t, 200, code, "%v", v)
	code, v, _ = do(t, "POST", explain, body(3))
	assert.Equal(t, 400, code)
	assert.Contains(t, v["error"], "above this server's budget")
	assert.Contains(t, v["error"], "--explain-memory-budget")
	// Another request in flight holds one explanation's worth.
	require.NoError(t, s.mem.take(one))
	code, v, h := do(t, "POST", explain, body(2))
	assert.Equal(t, 429, code)
	assert.Equal(t, "1", h.Get("Retry-After"))
	assert.Contains(t, v["error"], "explanations in flight hold")
	code, _, _ = do(t, "POST", explain, body(1))
	assert.Equal(t, 200, code, "one more fits beside it")
	s.mem.give(one)
	assert.Zero(t, s.ExplainMemoryInUse(), "every request gave its share back")
}

func quote(s string) string { return strconv.Quote(s) }
