// Command longtext is Lucid's long-text benchmark: documents of 50, 150
// and 300 words built from consecutive SST-2 dev sentences, each with one
// strongly polar sentence planted at a random position, explained by each
// method and budget. It reports, per method and length, how often the
// planted sentence is ranked first (with a Wilson 95% interval), its mean
// rank, the wall time and evaluations per explanation, and ERASER's
// comprehensiveness and sufficiency at the sentence level; with
// --reference, how often each method ranks first the sentence the
// reference method ranks first (the model's own most important sentence);
// with --compare, McNemar's exact test of two methods on the same
// documents and their time ratio.
//
// --records appends every explanation's record (JSON lines) to a file as
// it is made, and --from reads such files back: explanations already
// recorded for the same documents are not run again, so a run can be
// resumed, or a slow baseline recorded once and compared with a method
// under development on the same documents.
//
//	go run ./bench/longtext --docs 24 --lengths 50,150,300 --records long.jsonl
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lucid-nlp/lucid/attribution"
	"github.com/lucid-nlp/lucid/bench"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/models"
	"github.com/lucid-nlp/lucid/perturb"
)

const (
	maxDocs   = 10_000
	maxLength = 2_000
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "longtext:", err)
		os.Exit(1)
	}
}

func run() error {
	model := flag.String("model", filepath.Join("models", models.DefaultName), "model folder")
	data := flag.String("data", filepath.Join("..", "shared", "data", "sst2", "dev.tsv"), "SST-2 TSV (text in the last column)")
	lengths := flag.String("lengths", "50,150,300", fmt.Sprintf("document lengths in words, each 1 to %d", maxLength))
	docs := flag.Int("docs", 8, fmt.Sprintf("documents per length, 1 to %d (half with a positive plant, half negative)", maxDocs))
	methods := flag.String("methods", "", "comma-separated method/level/budget settings (default: "+defaultMethods()+")")
	seed := flag.Uint64("seed", 1, "seed for the documents and the sampled methods")
	reference := flag.String("reference", "partition/sentences/4096", "the method whose top sentence is the second ground truth (empty: none)")
	compare := flag.String("compare", "partition/words/256:kernelshap/words/2048", "A:B, two methods compared on the same documents (empty: none)")
	records := flag.String("records", "", "append each explanation's record (JSON lines) to this file")
	from := flag.String("from", "", "comma-separated record files (from --records) to read: their explanations are not run again")
	asJSON := flag.Bool("json", false, "print the rows as JSON")
	quiet := flag.Bool("quiet", false, "no progress lines on standard error")
	flag.Parse()
	if *docs < 1 || *docs > maxDocs {
		return fmt.Errorf("--docs %d: want 1 to %d", *docs, maxDocs)
	}
	var ls []int
	for _, f := range strings.Split(*lengths, ",") {
		l, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || l < 1 || l > maxLength {
			return fmt.Errorf("--lengths: %q is not a length from 1 to %d", f, maxLength)
		}
		ls = append(ls, l)
	}
	ms := bench.DefaultLongMethods
	if *methods != "" {
		ms = nil
		for _, f := range strings.Split(*methods, ",") {
			m, err := parseMethod(strings.TrimSpace(f))
			if err != nil {
				return err
			}
			ms = append(ms, m)
		}
	}
	sentences, err := bench.ReadSentences(*data, 1<<20)
	if err != nil {
		return fmt.Errorf("%w (the benchmark needs SST-2's dev.tsv: --data)", err)
	}
	ds, err := bench.BuildLongDocs(sentences, ls, *docs, *seed)
	if err != nil {
		return err
	}
	var done []bench.LongRecord
	if *from != "" {
		for _, f := range strings.Split(*from, ",") {
			rs, err := readRecords(strings.TrimSpace(f))
			if err != nil {
				return err
			}
			done = append(done, rs...)
		}
	}
	var compareA, compareB string
	if *compare != "" {
		var ok bool
		if compareA, compareB, ok = strings.Cut(*compare, ":"); !ok || compareA == "" || compareB == "" {
			return fmt.Errorf("--compare %q: want A:B, like partition/words/256:kernelshap/words/2048", *compare)
		}
	}
	if *reference != "" {
		ref, err := parseMethod(*reference)
		if err != nil {
			return fmt.Errorf("--reference: %w", err)
		}
		if !slices.Contains(ms, ref) {
			ms = append(ms, ref)
		}
	}
	var sink *os.File
	if *records != "" {
		if sink, err = os.OpenFile(*records, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
			return err
		}
		defer sink.Close()
	}
	clf, err := models.Load(*model)
	if err != nil {
		return err
	}
	defer clf.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ev := evaluate.New(clf.Model, evaluate.Options{Output: evaluate.Probability, PadID: clf.Tokenizer.PadID()})
	x := attribution.NewExplainer(clf.Tokenizer, ev, *model)
	progress := os.Stderr
	if *quiet {
		progress = nil
	}
	// Run, document by document, only the methods not yet recorded for it.
	have := map[string]bool{}
	for _, r := range done {
		have[fmt.Sprint(r.Seed, r.Doc, r.Method)] = true
	}
	all := done
	for di, d := range ds {
		var todo []bench.LongMethod
		for _, m := range ms {
			if !have[fmt.Sprint(*seed, di, m.String())] {
				todo = append(todo, m)
			}
		}
		if len(todo) == 0 {
			continue
		}
		recs, err := bench.RunLongRecords(ctx, x, []bench.LongDoc{d}, todo, *seed, progress, func(r bench.LongRecord) error {
			if sink == nil {
				return nil
			}
			b, err := json.Marshal(r)
			if err != nil {
				return err
			}
			_, err = sink.Write(append(b, '\n'))
			return err
		})
		if err != nil {
			return err
		}
		all = append(all, recs...)
	}
	// Keep only this run's documents and methods (a record file may hold more).
	wanted := map[string]bool{}
	for _, m := range ms {
		wanted[m.String()] = true
	}
	var mine []bench.LongRecord
	for _, r := range all {
		if r.Seed == *seed && r.Doc < len(ds) && wanted[r.Method] {
			if r.TextHash != bench.TextHash(ds[r.Doc].Text) {
				return fmt.Errorf("record of document %d (%s) is of another text than this run's document %d: other --data, --lengths or --docs?", r.Doc, r.Method, r.Doc)
			}
			mine = append(mine, r)
		}
	}
	rows, err := bench.SummarizeLong(mine, *reference)
	if err != nil {
		return err
	}
	var cmp []bench.LongComparison
	if compareA != "" {
		if cmp, err = bench.CompareLong(mine, compareA, compareB); err != nil {
			return err
		}
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Rows        []bench.LongRow        `json:"rows"`
			Comparisons []bench.LongComparison `json:"comparisons"`
		}{rows, cmp})
	}
	fmt.Printf("long-text benchmark: %d documents per length, seed %d, model %s, data %s\n", *docs, *seed, *model, *data)
	bench.WriteLongTable(os.Stdout, rows)
	bench.WriteLongComparisons(os.Stdout, cmp)
	return nil
}

// readRecords reads a --records file.
func readRecords(path string) ([]bench.LongRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []bench.LongRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r bench.LongRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", path, line, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

func defaultMethods() string {
	var s []string
	for _, m := range bench.DefaultLongMethods {
		s = append(s, m.String())
	}
	return strings.Join(s, ",")
}

// parseMethod reads method/level[/budget], like partition/words/256.
func parseMethod(s string) (bench.LongMethod, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 {
		return bench.LongMethod{}, fmt.Errorf("--methods: %q: want method/level[/budget], like partition/words/256", s)
	}
	m, err := attribution.ParseMethod(parts[0])
	if err != nil {
		return bench.LongMethod{}, err
	}
	l, err := perturb.ParseLevel(parts[1])
	if err != nil {
		return bench.LongMethod{}, err
	}
	out := bench.LongMethod{Method: m, Level: l}
	if len(parts) == 3 {
		b, err := strconv.Atoi(parts[2])
		if err != nil || b < 0 || b > attribution.MaxBudget {
			return bench.LongMethod{}, fmt.Errorf("--methods: %q: budget %q: want 0 to %d", s, parts[2], attribution.MaxBudget)
		}
		out.Budget = b
	}
	return out, nil
}
