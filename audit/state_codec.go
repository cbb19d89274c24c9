package audit

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/lucid-nlp/lucid/internal/gobsnap"

	"github.com/lucid-nlp/lucid/dataset"
)

// stateVersion is bumped whenever the encoding changes, the fingerprint
// included (2: the sentence-pair settings, the regression tolerance and
// the weight column joined it).
const stateVersion = 2

// stateSnapshot is a State's encoding: its counts, and each accumulator's
// own encoding.
type stateSnapshot struct {
	Version int
	// Fingerprint of the configuration: States merge and decode only
	// under the same one.
	Fingerprint     uint64
	Columns         *dataset.Columns
	Rows, Labelled  int
	Skipped         int
	Correct         int
	Positives       int
	GoldPositives   int
	Files           int
	SkippedExamples []SkippedRow
	Reconciliation  *dataset.Reconciliation
	Groups, Pairs   [][]byte
	Means           [][]byte
	RegCF           []byte
	Data            []byte
	Thresholds      []byte
	Counterfactual  []byte
	Slices          []byte
	Weighted        []byte
	Consistency     sampleSnapshot
	Explain         sampleSnapshot
}

type sampleSnapshot struct {
	Seen  int
	Items []sampled
}

// fingerprint condenses what must agree for two States to merge: the
// checks and every setting that shapes an accumulator or a sample.
func (s *State) fingerprint() uint64 {
	c := s.cfg
	fams := make([]string, len(c.Families))
	for i, f := range c.Families {
		fams[i] = f.Name
	}
	v, _ := json.Marshal(struct {
		Labels                             []string
		Positive                           string
		Checks                             []string
		Read                               []string
		Intersections                      [][]string
		PairCol                            string
		Families                           []string
		Seed                               uint64
		Resamples, MinGroupSize, MaxGroups int
		ConsistencyRows, ExplainRows       int
		MaxSkippedExamples                 int
		Tolerance                          float64
		MissingAsGroup                     bool
		Fit                                string
		Judge                              bool
		ScoreCol, PredictionCol            string
		Head                               string
		DecisionThreshold                  float64
		// Sentence pairs: what is scored, and what swaps and edits change.
		TextPairCol, PairSide string
		Symmetric             bool
		ScoreTolerance        float64
		WeightCol             string
	}{s.labels, s.positive, c.Checks, s.read.names, c.Intersections, c.PairCol, fams, c.Seed,
		c.Resamples, c.MinGroupSize, c.MaxGroups, c.ConsistencyRows, c.ExplainRows, c.MaxSkippedExamples,
		c.Tolerance, c.MissingAsGroup, string(c.FitThresholds), c.Thresholds != nil, c.ScoreCol, c.PredictionCol, c.Head.String(), c.decisionThreshold,
		c.TextPairCol, c.PairSide.String(), c.Symmetric, c.ScoreTolerance, c.WeightCol})
	h := fnv.New64a()
	h.Write(v)
	return h.Sum64()
}

// binaryPart is what each accumulator in a State is: encodable, and
// (each with one of its own kind) mergeable.
type binaryPart interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}

// Merge adds o's rows into s, as if s had read them too. o must come from
// the same configuration; it is left unchanged.
func (s *State) Merge(o *State) error {
	if s.fingerprint() != o.fingerprint() {
		return errors.New("audit: these States were made under different configurations (checks, columns, seed or limits differ) and cannot be merged")
	}
	if o.columns == nil { // o saw no batch
		s.mergeCounts(o)
		return nil
	}
	if err := s.init(*o.columns); err != nil {
		return err
	}
	// A State o that has seen batches has the same accumulators as s now.
	for i := range s.accs {
		if err := s.accs[i].Merge(o.accs[i]); err != nil {
			return err
		}
	}
	for i := range s.pairs {
		if err := s.pairs[i].Merge(o.pairs[i]); err != nil {
			return err
		}
	}
	for i := range s.means {
		if err := s.means[i].Merge(o.means[i]); err != nil {
			return err
		}
	}
	if s.rcf != nil {
		if err := s.rcf.merge(o.rcf); err != nil {
			return err
		}
	}
	if s.scan != nil {
		if err := s.scan.Merge(o.scan); err != nil {
			return err
		}
	}
	if s.thr != nil {
		var err error
		if s.thr.scores != nil {
			err = s.thr.scores.Merge(o.thr.scores)
		} else {
			err = s.thr.cmp.Merge(o.thr.cmp)
		}
		if err != nil {
			return err
		}
	}
	if s.cf != nil {
		if err := s.cf.Merge(o.cf); err != nil {
			return err
		}
	}
	if s.slicer != nil {
		if err := s.slicer.Merge(o.slicer); err != nil {
			return err
		}
	}
	if s.wtab != nil {
		if err := s.wtab.Merge(o.wtab); err != nil {
			return err
		}
	}
	s.mergeCounts(o)
	return nil
}

func (s *State) mergeCounts(o *State) {
	s.rows += o.rows
	s.labelled += o.labelled
	s.correct += o.correct
	s.positives += o.positives
	s.goldPos += o.goldPos
	s.skipped += o.skipped
	s.files += o.files
	s.skippedExamples = keepFirstSkipped(append(s.skippedExamples, o.skippedExamples...), s.cfg.MaxSkippedExamples)
	if o.reconciliation != nil {
		s.addReconciliation(*o.reconciliation)
	}
	s.consistencySample.Merge(o.consistencySample)
	s.explainSample.Merge(o.explainSample)
}

// MarshalBinary encodes the State (not its classifier or configuration:
// decode into a State made by NewState with the same configuration).
func (s *State) MarshalBinary() ([]byte, error) {
	snap := stateSnapshot{Version: stateVersion, Fingerprint: s.fingerprint(), Columns: s.columns,
		Rows: s.rows, Labelled: s.labelled, Skipped: s.skipped, Correct: s.correct, Positives: s.positives, GoldPositives: s.goldPos, Files: s.files,
		SkippedExamples: s.skippedExamples, Reconciliation: s.reconciliation,
		Consistency: sampleSnapshot{s.consistencySample.Seen, s.consistencySample.items},
		Explain:     sampleSnapshot{s.explainSample.Seen, s.explainSample.items}}
	var err error
	enc := func(p binaryPart) []byte {
		if err != nil {
			return nil
		}
		var b []byte
		b, err = p.MarshalBinary()
		return b
	}
	for _, a := range s.accs {
		snap.Groups = append(snap.Groups, enc(a))
	}
	for _, a := range s.pairs {
		snap.Pairs = append(snap.Pairs, enc(a))
	}
	for _, m := range s.means {
		snap.Means = append(snap.Means, enc(m))
	}
	if s.rcf != nil {
		snap.RegCF = enc(s.rcf)
	}
	if s.scan != nil {
		snap.Data = enc(s.scan)
	}
	if s.thr != nil {
		if s.thr.scores != nil {
			snap.Thresholds = enc(s.thr.scores)
		} else {
			snap.Thresholds = enc(s.thr.cmp)
		}
	}
	if s.cf != nil {
		snap.Counterfactual = enc(s.cf)
	}
	if s.slicer != nil {
		snap.Slices = enc(s.slicer)
	}
	if s.wtab != nil {
		snap.Weighted = enc(s.wtab)
	}
	if err != nil {
		return nil, err
	}
	return gobsnap.Encode("audit", "a State", snap)
}

// UnmarshalBinary replaces s's accumulated rows with an encoded State's.
// s must be fresh from NewState with the configuration the State was
// encoded under.
func (s *State) UnmarshalBinary(data []byte) error {
	var snap stateSnapshot
	if err := gobsnap.Decode("audit", "a State", data, &snap); err != nil {
		return err
	}
	if snap.Version != stateVersion {
		return fmt.Errorf("audit: a State encoded by version %d of the format; this is version %d", snap.Version, stateVersion)
	}
	if snap.Fingerprint != s.fingerprint() {
		return errors.New("audit: the State was encoded under a different configuration (checks, columns, seed or limits differ)")
	}
	if s.columns != nil || s.rows != 0 || s.skipped != 0 || s.files != 0 {
		return errors.New("audit: UnmarshalBinary needs a fresh State from NewState")
	}
	if snap.Columns != nil {
		if err := s.init(*snap.Columns); err != nil {
			return err
		}
		if len(snap.Groups) != len(s.accs) || len(snap.Pairs) != len(s.pairs) || len(snap.Means) != len(s.means) ||
			(snap.Data != nil) != (s.scan != nil) || (snap.Thresholds != nil) != (s.thr != nil) ||
			(snap.Counterfactual != nil) != (s.cf != nil) || (snap.Slices != nil) != (s.slicer != nil) ||
			(snap.Weighted != nil) != (s.wtab != nil) {
			return errors.New("audit: the encoded State's checks do not match this configuration's")
		}
		var err error
		dec := func(p binaryPart, b []byte) {
			if err == nil {
				err = p.UnmarshalBinary(b)
			}
		}
		for i, a := range s.accs {
			dec(a, snap.Groups[i])
		}
		for i, a := range s.pairs {
			dec(a, snap.Pairs[i])
		}
		for i, m := range s.means {
			dec(m, snap.Means[i])
		}
		if (snap.RegCF != nil) != (s.rcf != nil) {
			return errors.New("audit: the encoded State's checks do not match this configuration's")
		}
		if s.rcf != nil {
			dec(s.rcf, snap.RegCF)
		}
		if s.scan != nil {
			dec(s.scan, snap.Data)
		}
		if s.thr != nil {
			if s.thr.scores != nil {
				dec(s.thr.scores, snap.Thresholds)
			} else {
				dec(s.thr.cmp, snap.Thresholds)
			}
		}
		if s.cf != nil {
			dec(s.cf, snap.Counterfactual)
		}
		if s.slicer != nil {
			dec(s.slicer, snap.Slices)
		}
		if s.wtab != nil {
			dec(s.wtab, snap.Weighted)
		}
		if err != nil {
			return err
		}
	}
	s.rows, s.labelled, s.skipped, s.correct, s.positives, s.files = snap.Rows, snap.Labelled, snap.Skipped, snap.Correct, snap.Positives, snap.Files
	s.goldPos = snap.GoldPositives
	s.skippedExamples, s.reconciliation = snap.SkippedExamples, snap.Reconciliation
	s.consistencySample.Seen, s.consistencySample.items = snap.Consistency.Seen, snap.Consistency.Items
	s.explainSample.Seen, s.explainSample.items = snap.Explain.Seen, snap.Explain.Items
	return nil
}
