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
