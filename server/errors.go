package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/lucid-nlp/lucid/engine/batching"
)

// apiError is an error with the HTTP status and the metric kind it
// answers to.
type apiError struct {
	status int
	kind   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, kind, format string, a ...any) error {
	return &apiError{status: status, kind: kind, msg: fmt.Sprintf(format, a...)}
}

// badRequest is the caller's mistake: 400.
func badRequest(format string, a ...any) error {
	return errorf(http.StatusBadRequest, "bad_request", format, a...)
}

// modelError marks a failure of the model run itself (ONNX Runtime), as
// opposed to a request the explainer refused: a 500, not a 400.
type modelError struct{ err error }

func (e *modelError) Error() string { return e.err.Error() }
func (e *modelError) Unwrap() error { return e.err }

// statusClientClosed is nginx's code for a client that went away; nobody
// reads it, but logs and metrics do.
const statusClientClosed = 499

// classify maps an error to its status, kind and message. Errors that are
// not apiErrors are the explainer's or the model's: a deadline is 504, a
// client gone 499, a full batching queue 429, a closed batcher 503, a
// model failure 500, and anything else (a text with no words, an exact
// budget too small, an estimate above the memory limit) 400.
func classify(ctx context.Context, err error, timeout time.Duration) *apiError {
	var ae *apiError
	var me *modelError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &mbe):
		return &apiError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body is larger than the server's limit of %d bytes (--max-body)", mbe.Limit)}
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		return &apiError{http.StatusGatewayTimeout, "timeout", fmt.Sprintf("the request took longer than the server's limit of %v (--request-timeout) and was stopped", timeout)}
	case errors.Is(err, context.Canceled):
		return &apiError{statusClientClosed, "cancelled", "the client closed the request"}
	case errors.Is(err, batching.ErrQueueFull):
		return &apiError{http.StatusTooManyRequests, "queue_full", err.Error() + "; retry after 1s"}
	case errors.Is(err, batching.ErrClosed):
		return &apiError{http.StatusServiceUnavailable, "unavailable", "the server is shutting down"}
	case errors.As(err, &me):
		return &apiError{http.StatusInternalServerError, "model", "the model failed: " + err.Error()}
	}
	return &apiError{http.StatusBadRequest, "bad_request", err.Error()}
}

// writeJSON writes v with status; the encoding cannot fail for the types
// written here, and a client gone mid-write is not the server's error.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		fmt.Fprintf(&buf, `{"error":%q}`+"\n", "encoding the response: "+err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// decodeJSON reads one JSON value from the body into v, refusing unknown
// fields (a misspelt parameter would otherwise be ignored silently),
// trailing data, and a body that is not valid UTF-8: encoding/json would
// replace the bad bytes with U+FFFD and classify a text nobody sent, where
// `lucid predict` rejects such a text.
func decodeJSON(r *http.Request, v any) error {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	if !utf8.Valid(raw) {
		at := 0
		for at < len(raw) {
			c, size := utf8.DecodeRune(raw[at:])
			if c == utf8.RuneError && size <= 1 {
				break
			}
			at += size
		}
		return badRequest("request body is not valid UTF-8: byte %d is 0x%02x; texts must be UTF-8", at, raw[at])
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return err
		case errors.Is(err, io.EOF):
			return badRequest("empty request body: want a JSON object")
		case errors.Is(err, io.ErrUnexpectedEOF):
			return badRequest("request body is not valid JSON: it ends before the value does")
		case errors.As(err, &se):
			return badRequest("request body is not valid JSON: %v (at byte %d)", err, se.Offset)
		case errors.As(err, &te):
			return badRequest("request body: field %q: got a JSON %s, want %v", te.Field, te.Value, te.Type)
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return err
		}
		return badRequest("request body: %v", err)
	}
	if dec.More() {
		return badRequest("request body has data after the JSON object")
	}
	return nil
}
