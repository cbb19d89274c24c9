package augment

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/dataset"
)

func reweighString(t *testing.T, in, name string, cfg ReweighConfig) (string, *ReweighReport, error) {
	t.Helper()
	var out bytes.Buffer
	f, err := dataset.DetectFormat(name)
	require.NoError(t, err)
	cfg.Read.Format = f
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(in)), nil }
	rep, err := Reweigh(context.Background(), open, name, &out, cfg)
	return out.String(), rep, err
}

// A skewed file: women 30 positive of 40, men 10 of 60. The weights are
// n(g)·n(y)/(N·n(g,y)) with N = 100, n(pos) = 40, n(neg) = 60:
// f/pos 40·40/(100·30), f/neg 40·60/(100·10), m/pos 60·40/(100·10),
// m/neg 60·60/(100·50). Under them each group's positive share is 0.4.
func TestReweighMakesGroupAndLabelIndependent(t *testing.T) {
	var b strings.Builder
	b.WriteString("text,gender,label\n")
	add := func(n int, g, y string) {
		for i := 0; i < n; i++ {
			b.WriteString("\"a review, number " + strconv.Itoa(b.Len()) + "\"," + g + "," + y + "\n")
		}
	}
	add(30, "f", "pos")
	add(10, "f", "neg")
	add(10, "m", "POS") // labels compare without case
	add(50, "m", "neg")
	b.WriteString("an unlabelled one,m,\n")
	in := b.String()
	out, rep, err := reweighString(t, in, "x.csv", ReweighConfig{GroupCols: []string{"gender"}})
	require.NoError(t, err)
	assert.Equal(t, 101, rep.Rows)
	assert.Equal(t, 100, rep.Labelled)
	assert.Equal(t, 1, rep.Unlabelled)
	assert.Equal(t, []string{"neg", "pos"}, rep.Labels)
	assert.Equal(t, []string{"f", "m"}, rep.Groups)
	assert.Equal(t, "label", rep.LabelColumn)
	want := map[string]float64{"f/pos": 1600.0 / 3000, "f/neg": 2400.0 / 1000, "m/pos": 2400.0 / 1000, "m/neg": 3600.0 / 5000}
	require.Len(t, rep.Cells, 4)
	for _, c := range rep.Cells {
		assert.InDelta(t, want[c.Group+"/"+c.Label], c.Weight, 1e-15, c)
		assert.InDelta(t, float64(c.Rows)*c.Weight, c.Expected, 1e-12)
	}
	assert.Empty(t, rep.EmptyCells)

	// Every input line is kept byte for byte, with the weight appended.
	inLines := strings.Split(strings.TrimSuffix(in, "\n"), "\n")
	outLines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, outLines, len(inLines))
	assert.Equal(t, inLines[0]+",weight", outLines[0])
	for i := 1; i < len(inLines); i++ {
		require.True(t, strings.HasPrefix(outLines[i], inLines[i]+","), outLines[i])
	}
	assert.Equal(t, "an unlabelled one,m,,", outLines[len(outLines)-1])

	// Read back, independently: P_w(pos | g) is P(pos) = 0.4 in both
	// groups, to 1e-12; unweighted it is 0.75 and 0.1667.
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	sum := map[string]float64{}
	for _, r := range recs[1:] {
		if r[2] == "" {
			assert.Empty(t, r[3])
			continue
		}
		w, err := strconv.ParseFloat(r[3], 64)
		require.NoError(t, err)
		sum[r[1]+"/"+strings.ToLower(r[2])] += w
		sum[r[1]] += w
	}
	for _, g := range []string{"f", "m"} {
		assert.InDelta(t, 0.4, sum[g+"/pos"]/sum[g], 1e-12, g)
	}
	// Total weight is N: reweighing moves weight between cells, it adds none.
	assert.InDelta(t, 100, sum["f"]+sum["m"], 1e-9)
}

func TestReweighIntersectionsAndJSONL(t *testing.T) {
	in := `{"text":"a","g":"f","age":"old","label":1}
{"text":"b","g":"f","age":"young","label":0}
{"text":"c","g":"m","age":"old","label":1}
{"text":"d","g":"m","age":"old","label":0}
{"text":"e","g":"m","age":"old","label":0}
{"text":"f","g":"f","age":"young","label":null}
`
	out, rep, err := reweighString(t, in, "x.jsonl", ReweighConfig{GroupCols: []string{"g", "age"}, WeightCol: "w"})
	require.NoError(t, err)
	assert.Equal(t, []string{"f | old", "f | young", "m | old"}, rep.Groups)
	// f | old has no negative row and f | young no positive: no weight
	// can balance them, and the report says so.
	assert.Equal(t, []string{"f | old / 0", "f | young / 1"}, rep.EmptyCells)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 6)
	var first map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	// w(f|old, 1) = n(g)·n(y)/(N·n(g,y)) = 1·2/(5·1) = 0.4, a JSON number.
	assert.Equal(t, 0.4, first["w"])
	assert.True(t, strings.HasSuffix(lines[5], `,"w":null}`), lines[5])
	// m|old/0: 3·3/(5·2) = 0.9.
	var fifth map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[4]), &fifth))
	assert.InDelta(t, 0.9, fifth["w"], 1e-15)
}

func TestReweighErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in, file string
		cfg            ReweighConfig
		want           string
	}{
		{"no label column", "text,g\na,f\n", "x.csv", ReweighConfig{GroupCols: []string{"g"}}, `reweighing needs labels: x.csv has no column "label"; name the label column with --label-col`},
		{"named label missing", "text,g,label\na,f,1\n", "x.csv", ReweighConfig{GroupCols: []string{"g"}, LabelCol: "y"}, `--label-col column "y"`},
		{"no labelled row", "text,g,label\na,f,\n", "x.csv", ReweighConfig{GroupCols: []string{"g"}}, "no labelled row"},
		{"weight column exists", "text,g,label,Weight\na,f,1,2\n", "x.csv", ReweighConfig{GroupCols: []string{"g"}}, `already has a column "Weight"`},
		{"jsonl weight key", "{\"text\":\"a\",\"g\":\"f\",\"label\":1,\"weight\":3}\n", "x.jsonl", ReweighConfig{GroupCols: []string{"g"}}, `already has a column "weight"`},
		{"jsonl weight key later", "{\"text\":\"a\",\"g\":\"f\",\"label\":1}\n{\"text\":\"b\",\"g\":\"f\",\"label\":1,\"WEIGHT\":3}\n", "x.jsonl", ReweighConfig{GroupCols: []string{"g"}}, `line 2, already has a field "WEIGHT"`},
		{"no group", "text,g,label\na,f,1\n", "x.csv", ReweighConfig{}, "needs a group column"},
		{"missing group column", "text,g,label\na,f,1\n", "x.csv", ReweighConfig{GroupCols: []string{"sex"}}, `--group-col column "sex"`},
		{"group is label", "text,g,label\na,f,1\n", "x.csv", ReweighConfig{GroupCols: []string{"Label"}}, "is the label column"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := reweighString(t, tc.in, tc.file, tc.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// The weights are finite and positive whenever the cell has rows, and
// the total weight equals the labelled rows (checked on random tables).
func TestReweighTotalsOnRandomTables(t *testing.T) {
	for seed := 1; seed <= 20; seed++ {
		var b strings.Builder
		b.WriteString("text\tg\tlabel\n")
		x := uint64(seed)
		n := 0
		for i := 0; i < 200; i++ {
			x = x*6364136223846793005 + 1442695040888963407
			g := "abc"[x>>62%3 : x>>62%3+1]
			y := strconv.Itoa(int(x>>40) % 3)
			b.WriteString("t" + strconv.Itoa(i) + "\t" + g + "\t" + y + "\n")
			n++
		}
		_, rep, err := reweighString(t, b.String(), "x.tsv", ReweighConfig{GroupCols: []string{"g"}})
		require.NoError(t, err)
		total := 0.0
		for _, c := range rep.Cells {
			require.True(t, c.Weight > 0 && !math.IsInf(c.Weight, 0))
			total += float64(c.Rows) * c.Weight
		}
		assert.InDelta(t, float64(n), total, 1e-9)
	}
}

// ReweighFile, like File, writes nothing when more than MaxSkippedShare of
// the rows were bad, and still returns the counts; at a share that allows
// them it writes the good rows.
func TestReweighFileTooManySkipped(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.csv"), filepath.Join(dir, "out.csv")
	require.NoError(t, os.WriteFile(in, []byte("text,g,label\na,f,1\nb,m,0\n\"c,f,1\nd,m,0\n"), 0o644))
	cfg := ReweighConfig{GroupCols: []string{"g"}}
	rep, err := ReweighFile(context.Background(), in, out, cfg)
	require.ErrorIs(t, err, ErrTooManySkipped)
	require.NotNil(t, rep)
	assert.Positive(t, rep.Skipped)
	_, statErr := os.Stat(out)
	assert.True(t, os.IsNotExist(statErr), "nothing written")

	cfg.MaxSkippedShare = 1
	rep, err = ReweighFile(context.Background(), in, out, cfg)
	require.NoError(t, err)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, rep.Rows+1, strings.Count(string(b), "\n"), "the header and every good row")
}
