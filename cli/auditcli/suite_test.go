package auditcli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// --suite loads the file into the audit's configuration; the example
// suite shipped in examples/ is one such file.
func TestSuiteFlag(t *testing.T) {
	f := parsed(t, "--data", "x.tsv", "--suite", filepath.Join("..", "..", "examples", "sentiment_suite.json"))
	cfg, err := f.Config()
	require.NoError(t, err)
	require.NotNil(t, cfg.Suite)
	assert.Equal(t, "sentiment (example)", cfg.Suite.Name)
	assert.Len(t, cfg.Suite.Tests, 9)
}

func TestSuiteFlagErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"tests":[{"name":"a","type":"mft","templates":["x"]}]}`), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--suite", "nope.json"}, "--suite: stat nope.json: no such file"},
		{[]string{"--suite", bad}, "expected label"},
		{[]string{"--suite", bad, "--checks", "data"}, "runs the model on its texts"},
		{[]string{"--suite", bad, "--score-col", "p"}, "runs the model on its texts"},
	} {
		f := parsed(t, append([]string{"--data", "x.tsv"}, tc.args...)...)
		_, err := f.Config()
		require.Error(t, err, tc.args)
		assert.ErrorAs(t, err, new(UsageError))
		assert.Contains(t, err.Error(), tc.want)
	}
}
