package attribution

import (
	"github.com/lucid-nlp/lucid/attribution/edit"
	"github.com/lucid-nlp/lucid/attribution/faithfulness"
	"github.com/lucid-nlp/lucid/attribution/shapley"
)

// The types of Explainer's methods and Result's fields that live in the
// estimator packages, under the names they had before attribution was
// split, so code written against those names keeps compiling.
type (
	// Edit is a counterfactual edit (Result.Counterfactual,
	// Explainer.CounterfactualEdit).
	Edit = edit.Edit
	// Faithfulness and FaithfulnessOptions are Explainer.Faithfulness's
	// result and options.
	Faithfulness        = faithfulness.Result
	FaithfulnessOptions = faithfulness.Options
	// Table is Explainer.CoalitionTable's result.
	Table = shapley.Table
)
