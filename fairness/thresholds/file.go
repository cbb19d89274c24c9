package thresholds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lucid-nlp/lucid/internal/atomicfile"
	"github.com/lucid-nlp/lucid/internal/readcap"
)

// Format names the file format; Read refuses any other.
const Format = "lucid-thresholds/1"

// MaxFileBytes bounds a thresholds file Read accepts (a fitted file of
// MaxGroups groups is well under 1 MiB).
const MaxFileBytes = 16 << 20

// UnfittedModel is File.UnfittedRule's one value: a row whose group has no
// rule keeps the model's own decision.
const UnfittedModel = "model"

const randomizationText = "P(positive | score) = probabilities[i], i = the number of cuts <= score; " +
	"when 0 < p < 1 the row is positive iff u < p, u = splitmix64(FNV-1a(seed as 8 little-endian bytes, group, 0x00, text)) >> 11 / 2^53"

// File is a thresholds.json: the rules fitted for one group column, how
// they were fitted, and their in-sample figures.
type File struct {
	Format     string     `json:"format"`
	Column     string     `json:"column"`
	Positive   string     `json:"positive_label"`
	Constraint Constraint `json:"constraint"`
	Objective  string     `json:"objective"`
	// Score says what the cuts are compared with.
	Score string `json:"score"`
	// Seed keys the randomised decisions; Randomization says how.
	Seed          uint64 `json:"seed"`
	Randomization string `json:"randomization"`
	Bins          Bins   `json:"bins"`
	// Target is the shared rate (or ROC point) every fitted group reaches
	// on the fitting data.
	Target Target      `json:"target"`
	Groups []GroupRule `json:"groups"`
	// Unfitted lists the groups (and rows) without a rule, and why; their
	// rows get UnfittedRule.
	Unfitted     []Unfitted `json:"unfitted,omitempty"`
	UnfittedRule string     `json:"unfitted_rule"`
	Fit          FitSummary `json:"fit"`

	byGroup map[string]int
}

// Bins describes the score histogram the cuts were chosen on.
type Bins struct {
	Count    int     `json:"count"`
	LogitMin float64 `json:"logit_min"`
	LogitMax float64 `json:"logit_max"`
}

// Target is the operating point the fit chose; only the constraint's
// rates are set.
type Target struct {
	PositiveRate *float64 `json:"positive_rate,omitempty"`
	TPR          *float64 `json:"tpr,omitempty"`
	FPR          *float64 `json:"fpr,omitempty"`
}

// GroupRule is one group's rule and its figures on the fitting data.
type GroupRule struct {
	Group string `json:"group"`
	Rule
	Randomized bool `json:"randomized"`
	// Labelled rows of the group in the fitting data, of which Positives
	// and Negatives.
	Labelled  int `json:"labelled"`
	Positives int `json:"positives"`
	Negatives int `json:"negatives"`
	// Model are the rates of the model's own decisions, Expected those
	// the rule gives in expectation, both in-sample (optimistic: judge the
	// rules on other data).
	Model    Rates `json:"model"`
	Expected Rates `json:"expected"`
}

// Rates are a group's rates; nil (null) where undefined.
type Rates struct {
	PositiveRate *float64 `json:"positive_rate"`
	TPR          *float64 `json:"tpr"`
	FPR          *float64 `json:"fpr"`
	Accuracy     *float64 `json:"accuracy"`
}

// Unfitted is a group left without a rule.
type Unfitted struct {
	Group  string `json:"group"`
	Rows   int    `json:"rows"`
	Reason string `json:"reason"`
}

// FitSummary accounts for the fitting data's rows.
type FitSummary struct {
	Data string `json:"data,omitempty"`
	// Rows added; Labelled of them with a label; Unlabelled without (not
	// used); MissingGroup with an empty group value (not fitted);
	// FittedRows in the fitted groups.
	Rows         int `json:"rows"`
	Labelled     int `json:"labelled"`
	Unlabelled   int `json:"unlabelled"`
	MissingGroup int `json:"missing_group"`
	FittedRows   int `json:"fitted_rows"`
	MinGroupSize int `json:"min_group_size"`
	// ModelAccuracy over the labelled rows with a group; over the fitted
	// groups' rows, the model's and the rules' expected accuracy
	// (in-sample).
	ModelAccuracy          *float64 `json:"model_accuracy"`
	ModelAccuracyFitted    *float64 `json:"model_accuracy_fitted"`
	ExpectedAccuracyFitted *float64 `json:"expected_accuracy_fitted"`
}

// Decision is the adjusted decision for one row.
type Decision struct {
	Positive bool
	// Probability is P(positive | score) under the group's rule; for an
	// unfitted group 1 or 0, the model's decision.
	Probability float64
	// Fitted is false when the group has no rule (the model decided);
	// Randomized when the decision was a draw (0 < Probability < 1).
	Fitted, Randomized bool
}

// Decide applies the file to one row: its group value, its text (which
// keys the draw of a randomised decision), its positive-class score, and
// the model's own decision, used when the group has no rule. The File
// must come from Fit or Read (or have passed Validate).
func (f *File) Decide(group, text string, score float64, modelPositive bool) Decision {
	i, ok := f.byGroup[group]
	if !ok {
		p := 0.0
		if modelPositive {
			p = 1
		}
		return Decision{Positive: modelPositive, Probability: p}
	}
	p := f.Groups[i].Probability(score)
	d := Decision{Probability: p, Fitted: true}
	switch {
	case p >= 1:
		d.Positive = true
	case p <= 0:
	default:
		d.Randomized = true
		d.Positive = draw(f.Seed, group, text) < p
	}
	return d
}

// Rule returns the named group's rule.
func (f *File) Rule(group string) (*GroupRule, bool) {
	i, ok := f.byGroup[group]
	if !ok {
		return nil, false
	}
	return &f.Groups[i], true
}

// Validate checks the file (format, constraint, every rule, unique groups)
// and indexes its groups for Decide; the error names the bad value.
func (f *File) Validate() error {
	if f.Format != Format {
		return fmt.Errorf("thresholds: format %q: want %q", f.Format, Format)
	}
	if _, err := ParseConstraint(string(f.Constraint)); err != nil {
		return err
	}
	if f.UnfittedRule != UnfittedModel {
		return fmt.Errorf("thresholds: unfitted_rule %q: want %q", f.UnfittedRule, UnfittedModel)
	}
	if strings.TrimSpace(f.Column) == "" {
		return errors.New("thresholds: no column: the file must name the group column its rules are for")
	}
	if len(f.Groups) > MaxGroups {
		return fmt.Errorf("thresholds: %d groups: at most %d", len(f.Groups), MaxGroups)
	}
	f.byGroup = make(map[string]int, len(f.Groups))
	for i, g := range f.Groups {
		if _, dup := f.byGroup[g.Group]; dup {
			return fmt.Errorf("thresholds: group %q has two rules", g.Group)
		}
		if err := g.Rule.validate(); err != nil {
			return fmt.Errorf("thresholds: group %q: %w", g.Group, err)
		}
		f.byGroup[g.Group] = i
	}
	return nil
}

// Write writes the file as indented JSON.
func (f *File) Write(w io.Writer) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("thresholds: encoding: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Save writes the file to path atomically (atomicfile.WriteWith: a temp
// file, fsync, rename), refusing a symlink or device at path.
func (f *File) Save(path string) error {
	return atomicfile.WriteWith(path, 0o644, f.Write)
}

// Read reads and validates a thresholds file of at most MaxFileBytes.
func Read(r io.Reader, name string) (*File, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("thresholds: reading %s: %w", name, err)
	}
	if len(b) > MaxFileBytes {
		return nil, fmt.Errorf("thresholds: %s is larger than %d MiB: not a thresholds file", name, MaxFileBytes>>20)
	}
	var f File
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("thresholds: %s: %w", name, err)
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, name)
	}
	return &f, nil
}

// Load reads and validates the thresholds file at path.
func Load(path string) (*File, error) {
	// readcap.Open: a FIFO or device named here cannot hang the open.
	in, err := readcap.Open(context.Background(), path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	return Read(in, path)
}
