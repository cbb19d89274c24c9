package attribution

import (
	"fmt"
	"strings"

	"github.com/lucid-nlp/lucid/attribution/shapley"
	"github.com/lucid-nlp/lucid/perturb"
)

// exactRefusal explains why exact Shapley values over n features cannot
// be computed within budget (0 meaning the default), naming the limit that
// binds: enumeration's own cap of maxEnumeration coalitions, or the
// budget. It suggests only what would help: a larger --budget only when
// 2^n is within the cap, --features words only when the features are
// tokens.
func exactRefusal(n int, level perturb.Level, budget int) error {
	budgetText := fmt.Sprintf("the budget of %d", budget)
	if budget == 0 {
		budget = 1 << DefaultExactFeatures
		budgetText = fmt.Sprintf("the default budget of 2^%d = %d", DefaultExactFeatures, budget)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "attribution: exact Shapley values over %d %s need 2^%d", n, level, n)
	if n < 63 {
		fmt.Fprintf(&b, " = %d", 1<<n)
	}
	b.WriteString(" evaluations, ")
	var fixes []string
	if n >= 63 || 1<<n > shapley.MaxEnumeration {
		fmt.Fprintf(&b, "more than exact enumeration's limit of 2^20 = %d", shapley.MaxEnumeration)
	} else {
		fmt.Fprintf(&b, "more than %s", budgetText)
		fixes = append(fixes, fmt.Sprintf("--budget %d", 1<<n))
	}
	fixes = append(fixes, "--method kernelshap (sampled, with standard errors)")
	if level == perturb.Tokens {
		fixes = append(fixes, "--features words (fewer features)")
	}
	fmt.Fprintf(&b, "; use %s", strings.Join(fixes, ", or "))
	return fmt.Errorf("%s", b.String())
}
