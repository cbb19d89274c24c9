// Package stats holds the statistics every audit verdict rests on: Wilson
// intervals for rates, exact tests for counts (binomial, sign, Fisher),
// paired tests for matched comparisons (paired t, Wilcoxon signed-rank),
// Holm's multiple-comparison correction, and the one decision rule that
// turns an effect size and its evidence into PASS, WARN or FAIL.
//
// Everything here is a pure function of counts or values, so each test in
// the audit is checked by simulation against its nominal level.
package stats
