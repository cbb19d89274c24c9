// Command loadgen drives a KServe v1 endpoint with a bounded number of
// requests at a fixed concurrency and prints what it measured (one JSON
// object with --json):
//
//	loadgen --url http://127.0.0.1:8080/v1/models/m:predict --concurrency 8 --requests 2000
//	loadgen --url http://127.0.0.1:8080/v1/models/m:explain --params '{"budget": 256}' --concurrency 8 --requests 200
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"

	"github.com/lucid-nlp/lucid/bench/serveload"
)

var defaultTexts = []string{
	"a gorgeous, witty, seductive movie", "the plot made no sense", "fine",
	"one of the best films of the year, funny and moving in equal measure", "dull",
	"it is a mess, but an entertaining one", "i would not recommend it to anyone who values their time", "not bad at all",
}

func main() {
	url := flag.String("url", "", "endpoint: .../v1/models/NAME:predict or :explain")
	conc := flag.Int("concurrency", 8, "clients at once, 1 to 4096")
	n := flag.Int("requests", 1000, "requests in all, 1 to 10000000")
	params := flag.String("params", "", `JSON "parameters" for :explain, e.g. {"budget": 256}`)
	token := flag.String("token", "", "bearer token")
	asJSON := flag.Bool("json", false, "print one JSON object")
	flag.Parse()
	o := serveload.Options{URL: *url, Texts: defaultTexts, Concurrency: *conc, Requests: *n, Token: *token}
	if *params != "" {
		if err := json.Unmarshal([]byte(*params), &o.Parameters); err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: --params %q: %v\n", *params, err)
			os.Exit(2)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := serveload.Run(ctx, o)
	if *asJSON {
		_ = json.NewEncoder(os.Stdout).Encode(res)
	} else {
		fmt.Println(res)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(1)
	}
}
