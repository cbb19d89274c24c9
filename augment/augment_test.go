package augment

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/dataset"
	"github.com/lucid-nlp/lucid/fairness/counterfactual"
)

func source(s string) Source {
	return func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(s)), nil }
}

func runString(t *testing.T, name, in string, cfg Config) (string, *Report) {
	t.Helper()
	var out bytes.Buffer
	rep, err := Run(context.Background(), source(in), name, &out, cfg)
	require.NoError(t, err)
	return out.String(), rep
}

// rec is a row read back from a file: its text, its raw record and the
// provenance cell.
type rec struct {
	text string
	raw  dataset.RawRecord
	prov string
}

// readBack reads a file with the dataset reader, every row's raw record
// copied.
func readBack(t *testing.T, name, content string, o dataset.Options) []rec {
	t.Helper()
	o.IgnoreLabels = true
	r, err := dataset.NewReader(strings.NewReader(content), name, o)
	require.NoError(t, err)
	var out []rec
	for {
		row, err := r.Next()
		if err == io.EOF {
			return out
		}
		var re *dataset.RowError
		if errors.As(err, &re) {
			continue // bad input rows are skipped by Run too
		}
		require.NoError(t, err)
		raw, ok := r.Raw()
		require.True(t, ok)
		raw.Bytes = bytes.Clone(raw.Bytes)
		prov := ""
		if len(row.Groups) > 0 {
			prov = row.Groups[len(row.Groups)-1]
		}
		out = append(out, rec{text: row.Text, raw: raw, prov: prov})
	}
}

// outside is a record's bytes outside its text value.
func outside(r dataset.RawRecord) string {
	return string(r.Bytes[:r.TextStart]) + "\x00" + string(r.Bytes[r.TextEnd:])
}

// checkRoundTrip checks an augmented file against its input: the originals
// come back in order, byte for byte with an empty provenance; each copy
// follows its original, differs from it only in the text, and is the swap
// its provenance names.
func checkRoundTrip(t *testing.T, name, in, out string, fams []counterfactual.Family, provCol string) (copies int) {
	t.Helper()
	orig := readBack(t, name, in, dataset.Options{})
	got := readBack(t, name, out, dataset.Options{GroupCols: []string{provCol}})
	// Strip the provenance from the output records to compare them with the
	// input: CSV/TSV drop the last field; JSONL the added member.
	strip := func(r dataset.RawRecord) dataset.RawRecord {
		b := r.Bytes
		switch {
		case strings.HasSuffix(name, ".jsonl"):
			i := bytes.LastIndex(b, []byte(`,"`+provCol+`":`))
			require.GreaterOrEqual(t, i, 0)
			end := bytes.LastIndexByte(b, '}')
			r.Bytes = append(bytes.Clone(b[:i]), b[end:]...)
		default:
			sep := byte(',')
			if strings.HasSuffix(name, ".tsv") {
				sep = '\t'
			}
			i := bytes.LastIndexByte(b, sep)
			r.Bytes = bytes.Clone(b[:i])
		}
		return r
	}
	k := 0
	var cur rec
	for _, g := range got {
		if g.prov == "" {
			require.Less(t, k, len(orig), "more originals than the input has")
			cur = orig[k]
			k++
			s := strip(g.raw)
			assert.Equal(t, string(cur.raw.Bytes), string(s.Bytes), "original row of line %d is not byte-identical", cur.raw.Line)
			continue
		}
		copies++
		p, err := ParseProvenance(g.prov)
		require.NoError(t, err)
		assert.Equal(t, cur.raw.Line, p.Line, "a copy follows its original")
		assert.Equal(t, outside(cur.raw), outside(strip(g.raw)), "copy of line %d: the other fields must be byte-identical", p.Line)
		var found bool
		for _, s := range counterfactual.Counterfactuals(cur.text, fams) {
			if s.Family == p.Family && s.FromGroup == p.From && s.ToGroup == p.To && s.Term == p.Term && s.Replacement == p.Replacement {
				found = true
				assert.Equal(t, s.Text, g.text, "copy of line %d is the swap its provenance names", p.Line)
			}
		}
		assert.True(t, found, "provenance %q names no swap of %q", g.prov, cur.text)
	}
	assert.Equal(t, len(orig), k, "every original row is written")
	return copies
}

func TestRoundTripTSV(t *testing.T) {
	in := "label\tsentence\tnote\r\n" +
		"1\the said his film was fine .\t\"quoted\" note\r\n" +
		"0\ta dull , lifeless film\t\r\n" +
		"1\tthe church choir and an old man\tx  y\r\n" +
		"0\tno ending on the last line , she said" + "\t-"
	fams := counterfactual.Families()
	out, rep := runString(t, "x.tsv", in, Config{})
	assert.True(t, strings.HasPrefix(out, "label\tsentence\tnote\tprovenance\r\n"), "header: %q", out[:40])
	assert.True(t, strings.HasSuffix(out, "\r\n"), "the last row gets the file's ending")
	copies := checkRoundTrip(t, "x.tsv", in, out, fams, DefaultProvenanceCol)
	assert.Equal(t, rep.Copies, copies)
	assert.Equal(t, 4, rep.Rows)
	assert.Equal(t, 3, rep.RowsWithTerms)
	assert.Equal(t, 4+copies, rep.OutputRows)
	assert.True(t, rep.Read.Balanced)
	assert.Contains(t, out, "1\tshe said her film was fine .\t\"quoted\" note\t2|gender|male→female|he→she\r\n")
}

func TestRoundTripCSV(t *testing.T) {
	in := "id,text,label,meta\n" +
		"1,\"he said, \"\"fine\"\"\",1,\"a,b\"\n" +
		"2,she cried ,0, spaced \n" +
		"3,\"two\nlines, with him\",1,\"\"\n" +
		"4,a film about nothing,0,z\n"
	fams := counterfactual.Families()
	out, rep := runString(t, "x.csv", in, Config{ProvenanceCol: "Origin"})
	assert.True(t, strings.HasPrefix(out, "id,text,label,meta,Origin\n"))
	copies := checkRoundTrip(t, "x.csv", in, out, fams, "Origin")
	assert.Equal(t, rep.Copies, copies)
	assert.Positive(t, copies)
	// A quoted text stays quoted; an unquoted one that needs no quotes not.
	assert.Contains(t, out, "1,\"she said, \"\"fine\"\"\",1,\"a,b\",2|gender|male→female|he→she\n")
	assert.Contains(t, out, "2,he cried ,0, spaced ,3|gender|female→male|she→he\n")
}

func TestRoundTripJSONL(t *testing.T) {
	in := `{"id": 1, "text": "he is a caf\u00e9 owner <b>", "label": "pos", "extra": {"k": [1, 2]}}` + "\n" +
		`{"label":0,"text":"nothing to swap"}` + "\n" +
		`{"text" : "the muslim woman" , "label":1 }` + "\n"
	fams := counterfactual.Families()
	out, rep := runString(t, "x.jsonl", in, Config{})
	copies := checkRoundTrip(t, "x.jsonl", in, out, fams, DefaultProvenanceCol)
	assert.Equal(t, rep.Copies, copies)
	assert.Positive(t, copies)
	assert.Contains(t, out, `{"id": 1, "text": "she is a café owner <b>", "label": "pos", "extra": {"k": [1, 2]},"provenance":"1|gender|male→female|he→she"}`+"\n")
	assert.Contains(t, out, `{"label":0,"text":"nothing to swap","provenance":""}`+"\n")
	// Every line of the output is a JSON object the reader accepts.
	assert.Len(t, readBack(t, "x.jsonl", out, dataset.Options{}), 3+copies)
}

// manyNames is a file whose rows each have many swaps (names and
// nationalities), for the sampling tests.
func manyNames(n int) string {
	var b strings.Builder
	b.WriteString("label\tsentence\n")
	for i := range n {
		b.WriteString([]string{"0", "1"}[i%2])
		b.WriteString("\tjames met maria and a french priest in row ")
		b.WriteString(strconv.Itoa(i))
		b.WriteString("\n")
	}
	return b.String()
}

func TestPerRowDeterministic(t *testing.T) {
	in := manyNames(40)
	a, repA := runString(t, "x.tsv", in, Config{PerRow: 2, Seed: 7})
	b, _ := runString(t, "x.tsv", in, Config{PerRow: 2, Seed: 7})
	c, _ := runString(t, "x.tsv", in, Config{PerRow: 2, Seed: 8})
	assert.Equal(t, a, b, "the same seed gives the same file")
	assert.NotEqual(t, a, c, "another seed draws other swaps")
	assert.Equal(t, 2*40, repA.Sampled, "two swaps drawn per row")
	assert.Greater(t, repA.Candidates, repA.Sampled)
	copies := checkRoundTrip(t, "x.tsv", in, a, counterfactual.Families(), DefaultProvenanceCol)
	assert.Equal(t, repA.Copies, copies)
	// A row's draw depends on the seed and its line, not on other rows:
	// with the first row changed, every other row's copies are the same.
	lines := strings.SplitAfter(in, "\n")
	lines[1] = "0\ta row with no identity term\n"
	d, _ := runString(t, "x.tsv", strings.Join(lines, ""), Config{PerRow: 2, Seed: 7})
	rest := func(s string) string { // the output after row 2's original
		i := strings.Index(s, "\n1\tjames met maria and a french priest in row 1\t\n")
		require.GreaterOrEqual(t, i, 0)
		return s[i:]
	}
	assert.Equal(t, rest(a), rest(d))
}

func TestAllSwapsWithoutPerRow(t *testing.T) {
	in := manyNames(3)
	_, rep := runString(t, "x.tsv", in, Config{})
	want := 0
	for _, l := range strings.Split(in, "\n")[1:4] {
		want += len(counterfactual.Counterfactuals(strings.Split(l, "\t")[1], counterfactual.Families()))
	}
	assert.Equal(t, want, rep.Candidates)
	assert.Equal(t, want, rep.Sampled)
	assert.Equal(t, want, rep.Copies+rep.Duplicates)
}

func TestDuplicatesDropped(t *testing.T) {
	in := "label\tsentence\n" +
		"1\the is good\n" + // its copy "she is good" is the row below: dropped
		"1\tshe is good\n" + // its copy "he is good" is the row above: dropped
		"0\the is good\n" + // another label: a different row, its copy is new
		"1\the is good\n" + // a duplicate original: kept, counted
		"1\tshe and he\n" + // she→he and he→she both give "he and she"
		"1\the and she\n" // ...which is this original
	out, rep := runString(t, "x.tsv", in, Config{})
	assert.Equal(t, 6, rep.Rows)
	assert.Equal(t, 1, rep.DuplicateOriginals)
	assert.Equal(t, "label\tsentence\tprovenance\n"+
		"1\the is good\t\n"+
		"1\tshe is good\t\n"+
		"0\the is good\t\n"+
		"0\tshe is good\t4|gender|male→female|he→she\n"+
		"1\the is good\t\n"+
		"1\tshe and he\t\n"+
		"1\the and she\t\n", out)
	assert.Equal(t, 0+1, rep.Copies)
	assert.Equal(t, rep.Sampled-1, rep.Duplicates)
	assert.Equal(t, rep.Duplicates, rep.Families[0].Duplicates)
	assert.Equal(t, 64, rep.Dedupe.Bits)
	assert.Equal(t, 6, rep.Dedupe.Distinct) // 5 distinct originals + 1 copy
}

func TestBadRowsSkippedAndCounted(t *testing.T) {
	in := "label\tsentence\n" +
		"1\the is here\n" +
		"only one field\n" +
		"0\t\n" + // empty text
		"1\tshe \xff bad utf-8\n" +
		"0\tfine\n"
	out, rep := runString(t, "x.tsv", in, Config{})
	assert.Equal(t, 3, rep.Skipped)
	require.Len(t, rep.BadRows, 3)
	assert.Equal(t, []int{3, 4, 5}, []int{rep.BadRows[0].Line, rep.BadRows[1].Line, rep.BadRows[2].Line})
	assert.Equal(t, 2, rep.Rows)
	assert.True(t, rep.Read.Balanced)
	assert.NotContains(t, out, "only one field")

	_, err := Run(context.Background(), source(in), "x.tsv", io.Discard, Config{Read: dataset.Options{Strict: true}})
	assert.ErrorIs(t, err, dataset.ErrStrict)
}

func TestProvenanceColumnClash(t *testing.T) {
	_, err := Run(context.Background(), source("text,Provenance\nhe,x\n"), "x.csv", io.Discard, Config{})
	assert.ErrorContains(t, err, `already has a column "Provenance"`)
	// JSONL: a later object may bring the key.
	in := `{"text":"he"}` + "\n" + `{"text":"she","provenance":"x"}` + "\n"
	_, err = Run(context.Background(), source(in), "x.jsonl", io.Discard, Config{})
	assert.ErrorContains(t, err, `line 2, already has a field "provenance"`)
}

func TestConfigErrors(t *testing.T) {
	bad, err := counterfactual.NewFamily("a|b", counterfactual.Group{Name: "x", Terms: []string{"cat"}}, counterfactual.Group{Name: "y", Terms: []string{"dog"}})
	require.NoError(t, err)
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{PerRow: -1}, "copies per row"},
		{Config{PerRow: MaxPerRow + 1}, "copies per row"},
		{Config{Families: []counterfactual.Family{bad}}, `family "a|b"`},
		{Config{Families: []counterfactual.Family{}}, "no families"},
		{Config{Read: dataset.Options{LabelCol: "label"}}, "copied, not read"},
		{Config{ProvenanceCol: "a\tb"}, "control characters"},
	} {
		_, err := Run(context.Background(), source("text\nhe\n"), "x.csv", io.Discard, c.cfg)
		assert.ErrorContains(t, err, c.want)
	}
}

func TestProvenanceRoundTrip(t *testing.T) {
	p := Provenance{Line: 12, Family: "names_ethnicity_male", From: "european-american-male", To: "asian-male", Term: "james", Replacement: "wei"}
	got, err := ParseProvenance(p.String())
	require.NoError(t, err)
	assert.Equal(t, p, got)
	for _, s := range []string{"", "12|gender|male→female", "x|gender|male→female|he→she", "0|g|a→b|c→d", "3|g|ab|c→d"} {
		_, err := ParseProvenance(s)
		assert.Error(t, err, s)
	}
}

func TestFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.csv")
	require.NoError(t, os.WriteFile(in, []byte("text,label\nhe ran,1\n"), 0o644))
	out := filepath.Join(dir, "out.csv")
	rep, err := File(context.Background(), in, out, Config{})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Copies)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "text,label,provenance\nhe ran,1,\nshe ran,1,2|gender|male→female|he→she\n", string(b))
	_, err = File(context.Background(), in, in, Config{})
	assert.ErrorContains(t, err, "is the input file")
	// A failed run leaves no output and no temporary file.
	bad := filepath.Join(dir, "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("text,provenance\nhe,1\n"), 0o644))
	_, err = File(context.Background(), bad, filepath.Join(dir, "never.csv"), Config{})
	require.Error(t, err)
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"in.csv", "out.csv", "bad.csv"}, names)
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, source(manyNames(10)), "x.tsv", io.Discard, Config{})
	assert.True(t, errors.Is(err, context.Canceled))
}

// FuzzAugment augments any bytes behind a header, in every format, and
// checks the output with checkRoundTrip: the input's good rows come back
// byte for byte, each copy is the swap its provenance names and differs
// from its row only in the text, and the output reads back without a bad
// row.
//
// Run it with: go test -run '^$' -fuzz '^FuzzAugment$' -fuzztime 10s ./augment
func FuzzAugment(f *testing.F) {
	f.Add([]byte("1,\"he said, \"\"hi\"\"\",x\r\n2,she and her mother\n"))
	f.Add([]byte("1\tthe old man\tx\n"))
	f.Add([]byte(`{"text":"his wife","id":1}` + "\n"))
	fams := counterfactual.Families()
	f.Fuzz(func(t *testing.T, data []byte) {
		for name, header := range map[string]string{"x.csv": "id,text,note\n", "x.tsv": "id\ttext\tnote\n", "x.jsonl": `{"text":"he"}` + "\n"} {
			in := header + string(data)
			var out bytes.Buffer
			_, err := Run(context.Background(), source(in), name, &out, Config{Read: dataset.Options{MaxFieldBytes: 256}})
			if err != nil {
				continue // e.g. a JSONL row with a "provenance" key
			}
			checkRoundTrip(t, name, in, out.String(), fams, DefaultProvenanceCol)
			o := dataset.Options{GroupCols: []string{DefaultProvenanceCol}, IgnoreLabels: true, MaxFieldBytes: 1 << 20}
			r, err := dataset.NewReader(strings.NewReader(out.String()), name, o)
			require.NoError(t, err)
			for {
				_, err := r.Next()
				if err == io.EOF {
					break
				}
				require.NoError(t, err, "the output of %q has a bad row", in)
			}
		}
	})
}

func TestRegroup(t *testing.T) {
	for _, c := range []struct {
		v, from, to, want string
		ok                bool
	}{
		{"male", "male", "female", "female", true},
		{"Male", "male", "female", "Female", true},
		{"MALE", "male", "female", "FEMALE", true},
		{"M", "male", "female", "F", true},
		{"f", "female", "male", "m", true},
		{" Woman ", "female", "male", "Man", true},
		{"men", "male", "female", "women", true},
		{"female", "male", "female", "female", false}, // names the target: left
		{"nonbinary", "male", "female", "nonbinary", false},
		// Name families: the part the swap changes.
		{"male", "african-american-male", "african-american-female", "female", true},
		{"black", "african-american-male", "european-american-male", "white", true},
		{"African-American", "african-american-female", "hispanic-female", "Hispanic", true},
		{"male", "african-american-male", "european-american-male", "male", false}, // gender unchanged
		{"christian", "christian", "muslim", "muslim", true},
	} {
		got, ok := regroup(c.v, c.from, c.to)
		assert.Equal(t, c.ok, ok, "%q %s→%s", c.v, c.from, c.to)
		if ok {
			assert.Equal(t, c.want, got, "%q %s→%s", c.v, c.from, c.to)
		}
	}
	fams := counterfactual.Families()
	assert.True(t, namesGroup("F", fams))
	assert.True(t, namesGroup("Black", fams))
	assert.False(t, namesGroup("nonbinary", fams))
}

func TestGroupColumn(t *testing.T) {
	gender, err := counterfactual.SelectFamilies(counterfactual.Families(), "gender")
	require.NoError(t, err)
	for _, c := range []struct {
		name, in, want string
	}{
		{"data.tsv",
			"text\tgender\tlabel\nhe is great\tmale\t1\nshe sang\t F \t0\nhe left\tnonbinary\t1\nhe ran\t\t0\n",
			"text\tgender\tlabel\tprovenance\nhe is great\tmale\t1\t\nshe is great\tfemale\t1\t2|gender|male→female|he→she\n" +
				"she sang\t F \t0\t\nhe sang\t M \t0\t3|gender|female→male|she→he\n" +
				"he left\tnonbinary\t1\t\nshe left\tnonbinary\t1\t4|gender|male→female|he→she\n" +
				"he ran\t\t0\t\nshe ran\t\t0\t5|gender|male→female|he→she\n"},
		{"data.csv",
			"gender,text\n\"Male\",\"he said, fine\"\nMAN,his film\n",
			"gender,text,provenance\n\"Male\",\"he said, fine\",\n\"Female\",\"she said, fine\",2|gender|male→female|he→she\n" +
				"MAN,his film,\nWOMAN,her film,3|gender|male→female|his→her\n"},
		{"data.jsonl",
			`{"Gender": "male", "text": "he is here"}` + "\n" + `{"text": "she is here", "gender": 1}` + "\n",
			`{"Gender": "male", "text": "he is here","provenance":""}` + "\n" +
				`{"Gender": "female", "text": "she is here","provenance":"1|gender|male→female|he→she"}` + "\n" +
				`{"text": "she is here", "gender": 1,"provenance":""}` + "\n" +
				`{"text": "he is here", "gender": 1,"provenance":"2|gender|female→male|she→he"}` + "\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out strings.Builder
			open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(c.in)), nil }
			rep, err := Run(context.Background(), open, c.name, &out, Config{Families: gender, GroupCol: "gender"})
			require.NoError(t, err)
			assert.Equal(t, c.want, out.String())
			switch c.name {
			case "data.tsv":
				assert.Equal(t, 2, rep.GroupRewritten)
				assert.Equal(t, []GroupValue{{Value: "nonbinary", Copies: 1}}, rep.UnmatchedGroupValues)
			case "data.jsonl":
				assert.Equal(t, 1, rep.GroupRewritten)
				assert.Equal(t, []GroupValue{{Value: "1", Copies: 1}}, rep.UnmatchedGroupValues)
			}
		})
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("text,label\nhe ran,1\n")), nil }
	_, err = Run(context.Background(), open, "x.csv", io.Discard, Config{Families: gender, GroupCol: "gender"})
	require.ErrorContains(t, err, "gender")
	_, err = Run(context.Background(), open, "x.csv", io.Discard, Config{Families: gender, GroupCol: "Text"})
	require.ErrorContains(t, err, `the group column "text" is the text column`)
}

// A row the gender family cannot swap as one person gets no copy and is
// counted, by reason.
func TestUnswappedRows(t *testing.T) {
	gender, err := counterfactual.SelectFamilies(counterfactual.Families(), "gender")
	require.NoError(t, err)
	in := "text\tlabel\ndoting mother would shun his kids\t0\nAlonzo found himself in trouble\t0\nshe is great\t1\n"
	var out strings.Builder
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(in)), nil }
	rep, err := Run(context.Background(), open, "x.tsv", &out, Config{Families: gender})
	require.NoError(t, err)
	assert.Equal(t, "text\tlabel\tprovenance\ndoting mother would shun his kids\t0\t\nAlonzo found himself in trouble\t0\t\n"+
		"she is great\t1\t\nhe is great\t1\t4|gender|female→male|she→he\n", out.String())
	require.Len(t, rep.Families, 1)
	assert.Equal(t, 2, rep.Families[0].Unswapped)
	assert.Equal(t, map[string]int{
		"mentions both genders (… is male, … is female): more than one person":                 1,
		"the name … is in no names family: the swap would change the words and leave the name": 1,
	}, rep.Families[0].Reasons)
	assert.Equal(t, 1, rep.Copies)
}
