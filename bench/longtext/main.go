// Command longtext is Lucid's long-text benchmark: documents of 50, 150
// and 300 words built from consecutive SST-2 dev sentences, each with one
// strongly polar sentence planted at a random position, explained by each
// method and budget. It reports, per method and length, how often the
// planted sentence is ranked first (with a Wilson 95% interval), its mean
// rank, the wall time and evaluations per explanation, and ERASER's
// comprehensiveness and sufficiency at the sentence level.
//
//	go run ./bench/longtext --docs 8 --lengths 50,150,300
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
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
	rows, err := bench.RunLong(ctx, x, ds, ms, *seed, progress)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	fmt.Printf("long-text benchmark: %d documents per length, seed %d, model %s\n", *docs, *seed, *model)
	bench.WriteLongTable(os.Stdout, rows)
	return nil
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
