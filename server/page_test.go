package server

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A form the server cannot explain comes back as the page, the form as
// sent, with the reason in place of the result and the error's status;
// the page before any request has no result box.
func TestPageShowsErrors(t *testing.T) {
	_, ts := newTest(t, batchingOn())
	post := func(form url.Values) (int, string) {
		resp, err := http.Post(ts.URL+pageRoute, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'none'")
		return resp.StatusCode, string(raw)
	}
	code, body := post(url.Values{"text": {"a fine <b>film</b>"}, "model": {"nope"}, "method": {"occlusion"}})
	assert.Equal(t, 404, code)
	assert.Contains(t, body, `id="error"`)
	assert.Contains(t, body, `unknown model &#34;nope&#34;`)
	assert.Contains(t, body, `a fine &lt;b&gt;film&lt;/b&gt;</textarea>`, "the text kept, escaped")
	assert.Contains(t, body, `<option value="occlusion" selected>`, "the method kept")
	assert.NotContains(t, body, `class="heat"`)
	code, body = post(url.Values{"text": {"fine"}, "model": {modelName}, "method": {"magic"}})
	assert.Equal(t, 400, code)
	assert.Contains(t, body, `method &#34;magic&#34;`)

	resp, err := http.Get(ts.URL + "/")
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
	assert.NotContains(t, string(raw), `id="result"`, "no result box before the first request")
	assert.NotContains(t, string(raw), "<iframe")
	assert.Equal(t, "same-origin", resp.Header.Get("Referrer-Policy"), "so the form's Origin header names this server")
}
