package counterfactual

import "github.com/lucid-nlp/lucid/fairness/scoring"

// Classifier gives class probabilities for texts; see scoring.Classifier.
type Classifier = scoring.Classifier

// DefaultBatchSize is how many texts go to the classifier per call when
// none is set.
const DefaultBatchSize = scoring.DefaultBatchSize
