package report

import (
	"cmp"
	"regexp"
	"slices"

	fstats "github.com/lucid-nlp/lucid/fairness/stats"
)

// verdictV is a verdict of the decision rule as a page shows it: a badge
// with the status (its text carries a data-key, so a test can compare it
// with report.json) and the rule's reason.
type verdictV struct {
	Key, Status, Class, Reason string
}

// verdict shows v; an empty status reads as info (nothing judged).
func verdict(key string, v fstats.Verdict) verdictV {
	st := string(v.Status)
	cl := statusClass[st]
	if cl == "" {
		// Not a status of the rule (a report written before verdicts):
		// shown as info, without a data-key, since report.json does not
		// say "info".
		cl, st, key = "info", visible(st), ""
		if st == "" {
			st = "info"
		}
	}
	return verdictV{Key: key, Status: st, Class: cl, Reason: undefinedWords.ReplaceAllString(v.Reason, naText)}
}

// undefinedWords are the words fmt writes for a number that is not
// finite; a reason (stats.Decide's "the interval [NaN, NaN] reaches
// outside", when there was no interval) reads "n/a" instead, as every
// undefined number on the page does.
var undefinedWords = regexp.MustCompile(`[+-]?\b(NaN|Inf)\b`)

// bySeverity orders items worst verdict first, keeping the given order
// among equals.
func bySeverity[T any](items []T, status func(T) fstats.Status) {
	slices.SortStableFunc(items, func(a, b T) int { return cmp.Compare(status(b).Severity(), status(a).Severity()) })
}

// splitJudged orders items worst verdict first and splits them into those
// a reader must look at (fail, warn) and those settled (pass, info).
func splitJudged[T any](items []T, verdictOf func(T) verdictV) (judged, settled []T) {
	bySeverity(items, func(t T) fstats.Status { return fstats.Status(verdictOf(t).Status) })
	for _, t := range items {
		if c := verdictOf(t).Class; c == "fail" || c == "warn" {
			judged = append(judged, t)
		} else {
			settled = append(settled, t)
		}
	}
	return judged, settled
}
