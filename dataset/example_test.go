package dataset_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lucid-nlp/lucid/dataset"
)

func ExampleReader() {
	data := "Sentence\tLabel\tdialect\n" +
		"a fine film\tpositive\tA\n" +
		"dull\tneutral\tB\n" +
		"not bad at all\t1\tB\n"
	r, err := dataset.NewReader(strings.NewReader(data), "reviews.tsv", dataset.Options{
		GroupCols: []string{"dialect"},
		Labels:    []string{"negative", "positive"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", r.Columns())
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var bad *dataset.RowError
		if errors.As(err, &bad) {
			fmt.Println("skipped:", bad)
			continue
		}
		if err != nil {
			panic(err)
		}
		fmt.Printf("line %d: %q label %d group %s\n", row.Line, row.Text, row.Label, row.Groups[0])
	}
	fmt.Println("skipped", r.Skipped())
	// Output:
	// {Text:Sentence Label:Label Groups:[dialect]}
	// line 2: "a fine film" label 1 group A
	// skipped: line 3: unknown label "neutral": the labels are "negative", "positive", or their indexes 0 to 1
	// line 4: "not bad at all" label 1 group B
	// skipped 1
}

// A stray quote costs its own line and nothing more, and the account of
// the file's lines shows where every line went.
func ExampleReader_Reconcile() {
	data := "text,label\n" +
		"a fine film,1\n" +
		"\"dull,0\n" +
		"not bad at all,1\n" +
		"no label yet,\n"
	r, err := dataset.NewReader(strings.NewReader(data), "reviews.csv", dataset.Options{})
	if err != nil {
		panic(err)
	}
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		var bad *dataset.RowError
		if errors.As(err, &bad) {
			fmt.Println("skipped:", bad)
			continue
		}
		if err != nil {
			panic(err)
		}
		fmt.Printf("line %d: %q label %d\n", row.Line, row.Text, row.Label)
	}
	fmt.Printf("%+v\n", r.Reconcile())
	// Output:
	// line 2: "a fine film" label 1
	// skipped: line 3: malformed CSV: the quoted field opened on line 3 is never closed: the file ends inside it; line 3 is skipped and reading goes on at line 4
	// line 4: "not bad at all" label 1
	// line 5: "no label yet" label -1
	// {Lines:5 HeaderLines:1 BlankLines:0 Rows:3 RowLines:3 Unlabelled:1 Skipped:1 SkippedLines:1 Malformed:1 Interrupted:0 InterruptedLines:0 Complete:true Balanced:true}
}
