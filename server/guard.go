package server

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/internal/bytesize"
	"github.com/lucid-nlp/lucid/internal/shorten"
	"github.com/lucid-nlp/lucid/perturb"
)

// What a client must get right before the server spends anything on it,
// in the order the checks run: the Host header (DNS rebinding), the
// token (before a byte of the body is parsed), the content type (no
// cross-site "simple" POST reaches a model), a same-origin form post on
// the page's route, the whole body within a deadline and at a minimum
// rate (a slow body never holds an admission slot), then an admission
// slot, and for explanations a share of the server-wide memory budget.

// hostAllowed reports whether the Host header names this server: a name
// on AllowedHosts ("*" allows any), or, without one, a loopback name or
// address when the server listens on loopback (or its listener is not
// known, as when Handler is served by the caller), the listen address
// itself when it listens on one address, and any IP literal when it
// listens on all of them. A page on another site that a DNS rebinding
// points at this server sends its own name as Host, and is refused.
func (s *Server) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "" {
		return false
	}
	for _, a := range s.cfg.AllowedHosts {
		if a == "*" || strings.EqualFold(strings.TrimSuffix(a, "."), host) {
			return true
		}
	}
	ip := net.ParseIP(host)
	listen := s.listenIP.Load()
	switch {
	case listen == nil || listen.IsLoopback():
		return host == "localhost" || (ip != nil && ip.IsLoopback())
	case listen.IsUnspecified():
		return host == "localhost" || ip != nil
	}
	return ip != nil && ip.Equal(*listen)
}

// checkHost refuses a request whose Host header does not name this
// server (421 Misdirected Request).
func (s *Server) checkHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			s.fail(w, r, errorf(http.StatusMisdirectedRequest, "bad_host",
				"Host %q does not name this server: add it with --allowed-hosts (a DNS rebinding sends the attacker's name)", shorten.Bytes(r.Host, 100)))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// auth checks the token, when the server has one, from the headers alone,
// before anything reads the body: "Authorization: Bearer TOKEN", or HTTP
// Basic with the token as the password, which is what a browser sends
// after its own login prompt (the page and its form use that; a form
// cannot set headers, and a token in the form's body could only be read
// by parsing the body of a client not yet known).
func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	if s.cfg.Token == "" {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		got, sent := bearerOrBasic(r.Header.Get("Authorization"))
		if !sent || subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.Token)) != 1 {
			if isPage(r) {
				w.Header().Set("WWW-Authenticate", `Basic realm="lucid: the token is the password", charset="UTF-8"`)
			} else {
				w.Header().Set("WWW-Authenticate", `Bearer realm="lucid"`)
			}
			msg := "missing bearer token: send Authorization: Bearer TOKEN"
			switch {
			case sent && got == "" && isPage(r):
				msg = "no token given: enter the server's token as the password (any user name)"
			case sent && got == "":
				msg = "no token given: the Authorization header has an empty token; send Authorization: Bearer TOKEN"
			case sent:
				msg = "wrong bearer token"
			}
			s.fail(w, r, errorf(http.StatusUnauthorized, "unauthorized", "%s", msg))
			return
		}
		h(w, r)
	}
}

// bearerOrBasic returns the token of an Authorization header: a Bearer
// token, or a Basic password (any user name). The scheme's name is
// case-insensitive (RFC 7235, section 2.1): "bearer" is Bearer.
func bearerOrBasic(header string) (string, bool) {
	scheme, rest, _ := strings.Cut(strings.TrimLeft(header, " "), " ")
	if strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(rest), true
	}
	if enc, ok := rest, strings.EqualFold(scheme, "Basic"); ok {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
		if err != nil {
			return "", true
		}
		_, pass, _ := strings.Cut(string(raw), ":")
		return pass, true
	}
	return "", false
}

// isPage reports whether r is for the web page (/ or its form).
func isPage(r *http.Request) bool { return r.URL.Path == "/" || r.URL.Path == pageRoute }

// checkJSON requires Content-Type: application/json on an API POST: a
// browser sends that cross-site only after a CORS preflight this server
// never grants, so a web page elsewhere cannot post to the models.
func checkJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return errorf(http.StatusUnsupportedMediaType, "bad_content_type",
			"Content-Type %q: want application/json (curl: -H 'Content-Type: application/json')", shorten.Bytes(ct, 100))
	}
	return nil
}

// checkForm requires the page's own form post: URL-encoded (multipart is
// refused, so nothing spills to temporary files), and from this server's
// page: a browser says where a post comes from in Sec-Fetch-Site (or,
// older ones, Origin); a client that sends neither is not a browser, and
// not the target of a cross-site request.
func checkForm(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
		return errorf(http.StatusUnsupportedMediaType, "bad_content_type",
			"Content-Type %q: the page's form posts application/x-www-form-urlencoded (multipart is not accepted)", shorten.Bytes(ct, 100))
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		if site != "same-origin" {
			return errorf(http.StatusForbidden, "cross_site", "form post from another site (Sec-Fetch-Site: %s) refused: use the page this server serves", shorten.Bytes(site, 40))
		}
		return nil
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		if err != nil || !strings.EqualFold(u.Host, r.Host) {
			return errorf(http.StatusForbidden, "cross_site", "form post from origin %q refused: use the page this server serves", shorten.Bytes(origin, 100))
		}
	}
	return nil
}

// readBody reads the whole body into memory, at most MaxBodyBytes, within
// BodyTimeout plus one second per MinBodyRate bytes received: a client
// sending a byte every few seconds is cut off after BodyTimeout (408)
// instead of holding a goroutine, an admission slot or the connection for
// the whole request timeout.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	limit := s.cfg.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	rc := http.NewResponseController(w)
	start := time.Now()
	deadline := func(got int64) time.Time {
		return start.Add(s.cfg.BodyTimeout + time.Duration(float64(got)/float64(s.cfg.MinBodyRate)*float64(time.Second)))
	}
	// A handler served without a connection (httptest.ResponseRecorder,
	// the fuzz targets) cannot set deadlines; its body is in memory.
	timed := rc.SetReadDeadline(deadline(0)) == nil
	if timed {
		// The request's context and the server's own timeouts take over
		// once the body is in.
		defer func() { _ = rc.SetReadDeadline(time.Time{}) }()
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	chunk := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(chunk)
		buf.Write(chunk[:n])
		if int64(buf.Len()) > limit {
			return nil, &http.MaxBytesError{Limit: limit}
		}
		if n > 0 && timed {
			_ = rc.SetReadDeadline(deadline(int64(buf.Len())))
		}
		if errors.Is(err, io.EOF) {
			return buf.Bytes(), nil
		}
		if err != nil {
			var ne net.Error
			if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
				w.Header().Set("Connection", "close")
				return nil, errorf(http.StatusRequestTimeout, "slow_body",
					"the request body did not arrive in time: %d bytes in %v; the server waits %v plus 1s per %d bytes (--body-timeout, --min-body-rate)",
					buf.Len(), time.Since(start).Round(time.Millisecond), s.cfg.BodyTimeout, s.cfg.MinBodyRate)
			}
			return nil, err
		}
	}
}

// memoryBudget is the server-wide budget of estimated bytes that
// explanations in flight may take (Config.MaxTotalExplainBytes).
type memoryBudget struct {
	mu    sync.Mutex
	limit int64
	used  int64
}

// take reserves n bytes, or says why it cannot: 429 when explanations in
// flight hold the rest, 400 when n alone is above the whole budget (a
// retry cannot help).
func (b *memoryBudget) take(n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.limit {
		return badRequest("the explanations of this request need about %s by their estimates, above this server's budget of %s for all explanations in flight (--explain-memory-budget): send fewer texts, shorter texts or a lower budget",
			bytesize.Format(n), bytesize.Format(b.limit))
	}
	if b.used+n > b.limit {
		return errorf(http.StatusTooManyRequests, "memory_full",
			"the server is busy: explanations in flight hold %s of its %s memory budget (--explain-memory-budget) and this request needs about %s; retry after 1s",
			bytesize.Format(b.used), bytesize.Format(b.limit), bytesize.Format(n))
	}
	b.used += n
	return nil
}

func (b *memoryBudget) give(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// inUse returns the bytes reserved now.
func (b *memoryBudget) inUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// estimate is the memory explaining texts under req takes by
// attribution.EstimateBytes, summed: the estimate `--max-explain-memory`
// checks for one explanation.
func (m *servedModel) estimate(texts []string, req attribution.Request) (int64, error) {
	return m.estimatePairs(texts, nil, req)
}

// estimatePairs is estimate for instances of which some are sentence pairs
// (pairs as for predictPairs).
func (m *servedModel) estimatePairs(texts []string, pairs []*string, req attribution.Request) (int64, error) {
	var total int64
	for i, t := range texts {
		enc, err := m.encodeInput(t, pairAt(pairs, i))
		if err != nil {
			return 0, badRequest("instance %d: %v", i, err)
		}
		total += attribution.EstimateBytes(req, len(perturb.Features(enc, req.Level)), enc.Len(), m.clf.Folder.Hidden)
	}
	return total, nil
}

// limitListener accepts at most n connections at once: Accept waits for
// one to close (new clients wait in the kernel's backlog), so no flood of
// sockets runs the process out of file descriptors.
type limitListener struct {
	net.Listener
	slots chan struct{}
	done  chan struct{}
	once  sync.Once
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// open returns the connections accepted and not yet closed.
func (l *limitListener) open() int { return len(l.slots) }

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
