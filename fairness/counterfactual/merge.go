package counterfactual

import (
	"cmp"
	"container/heap"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/lucid-nlp/lucid/internal/gobsnap"

	"github.com/lucid-nlp/lucid/fairness/stats"
)

// auditSnapshotVersion is written first in every encoded Audit, so a
// later layout can refuse (or convert) an older one.
const auditSnapshotVersion = 2

// fingerprintOf identifies what shapes an audit's result: the labels and
// target, the families with their terms, TopK, the thresholds, the
// reservoir size and the partners per name with their seed. The batch size is left out: it changes how texts are
// scored, never the result, so audits batched differently merge.
func (a *Audit) fingerprintOf() string {
	type fam struct {
		Name   string
		Groups []Group
	}
	fams := make([]fam, len(a.fams))
	for i, f := range a.fams {
		fams[i] = fam{f.Name, f.Groups}
	}
	b, err := json.Marshal(struct {
		Labels                    []string
		Target                    int
		Families                  []fam
		TopK, Reservoir           int
		Tol, FlipTol, Conf, Alpha float64
		Partners                  int
		PartnerSeed               uint64
		MaxFrames                 int
	}{a.labels, a.target, fams, a.topK, a.reservoir, a.th.tol, a.th.flipTol, a.th.conf, a.th.alpha, a.partners, a.partnerSeed, a.frames.max})
	if err != nil {
		// Strings, ints and finite floats only: cannot fail.
		panic(fmt.Sprintf("counterfactual: fingerprint of the audit's settings: %v", err))
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// flushed refuses an audit that still has texts queued for scoring.
func (a *Audit) flushed(what string) error {
	if n := a.b.Pending(); n > 0 {
		return fmt.Errorf("counterfactual: cannot %s an audit with %d texts still queued for scoring; call Flush (or Result) first", what, n)
	}
	return nil
}

// Merge adds b's scored texts into a, as if a had audited them too; b is
// left unchanged. Both audits must be flushed (no texts queued: call Flush
// first) and made with the same labels, target, families, TopK,
// thresholds and reservoir size (the batch size may differ); otherwise
// Merge returns an error and a is unchanged.
func (a *Audit) Merge(b *Audit) error {
	if b == nil {
		return errors.New("counterfactual: merge of a nil Audit")
	}
	if b == a {
		return errors.New("counterfactual: an Audit cannot be merged into itself (its texts would count twice)")
	}
	if a.fingerprint != b.fingerprint {
		return fmt.Errorf("counterfactual: cannot merge audits with different labels, target, families or settings (fingerprints %.12s and %.12s)", a.fingerprint, b.fingerprint)
	}
	if err := a.flushed("merge into"); err != nil {
		return err
	}
	if err := b.flushed("merge"); err != nil {
		return err
	}
	// The one step that can fail, a paired stream of another reservoir or
	// seed, is tried on fresh streams before anything changes; those
	// become a's streams for the directions a has not seen.
	fresh := make(map[groupKey]*stats.PairedStream)
	for k, sb := range b.signedAcc {
		s := a.newSigned(k)
		if err := s.Merge(sb); err != nil {
			return fmt.Errorf("counterfactual: direction %s → %s: %w", k.from, k.to, err)
		}
		if a.signedAcc[k] == nil {
			fresh[k] = s
		}
	}
	a.texts += b.texts
	a.withTerms += b.withTerms
	a.swaps += b.swaps
	for i := range a.famAcc {
		a.famAcc[i].merge(&b.famAcc[i])
	}
	for k, cb := range b.groupAcc {
		ca := a.groupAcc[k]
		if ca == nil {
			ca = &acc{}
			a.groupAcc[k] = ca
		}
		ca.merge(cb)
	}
	for k, cb := range b.pairAcc {
		ca := a.pairAcc[k]
		if ca == nil {
			ca = &acc{from: cb.from}
			a.pairAcc[k] = ca
		}
		ca.merge(cb)
	}
	for k, sb := range b.signedAcc {
		if s := fresh[k]; s != nil {
			a.signedAcc[k] = s
			continue
		}
		// a's stream was made by newSigned(k) too (or checked to match it
		// when decoded), so this cannot fail after the trial above.
		if err := a.signedAcc[k].Merge(sb); err != nil {
			return fmt.Errorf("counterfactual: direction %s → %s: %w", k.from, k.to, err)
		}
	}
	for k, cb := range b.strata {
		ca := a.strata[k]
		if ca == nil {
			ca = &stratumAcc{}
			a.strata[k] = ca
		}
		ca.merge(cb)
	}
	for f, h := range b.frames.hash {
		a.frames.hash[f] = h
	}
	a.frames.topOK = false
	a.frames.sampled = a.frames.sampled || b.frames.sampled
	a.trimFrames()
	for _, h := range b.worst {
		a.offer(cloneExample(&h.Example))
	}
	return nil
}

// offer puts a finished example into the top-K heap if it ranks there.
func (a *Audit) offer(ex Example) {
	if a.topK == 0 {
		return
	}
	if len(a.worst) < a.topK {
		heap.Push(&a.worst, &heldExample{Example: ex})
		return
	}
	if worse(&ex, &a.worst[0].Example) {
		a.worst[0] = &heldExample{Example: ex}
		heap.Fix(&a.worst, 0)
	}
}

func cloneExample(e *Example) Example {
	c := *e
	c.OriginalProbs = slices.Clone(e.OriginalProbs)
	c.SwappedProbs = slices.Clone(e.SwappedProbs)
	c.Swap.Spans = slices.Clone(e.Swap.Spans)
	c.Swap.NewSpans = slices.Clone(e.Swap.NewSpans)
	c.Swap.Agreements = slices.Clone(e.Swap.Agreements)
	c.Swap.NewAgreements = slices.Clone(e.Swap.NewAgreements)
	return c
}

// The encoded form: exported-field snapshots for encoding/gob; families
// by name, maps as slices sorted by key, so equal state encodes to equal
// bytes.
type (
	auditSnapshot struct {
		Version                 int
		Fingerprint             string
		Texts, WithTerms, Swaps int
		Families                []accSnapshot // in the configured order
		Groups                  []groupSnapshot
		Pairs                   []pairSnapshot
		Strata                  []strataSnapshot
		FramesSampled           bool
		Worst                   []Example // worst first
	}
	strataSnapshot struct {
		Family, From, To, By, Stratum string
		Texts, Swaps, Flips           int
		Sum, SumSq                    stats.ExactSum
	}
	accSnapshot struct {
		N, Texts, Flips int
		SumAbs, Sum     stats.ExactSum
		MaxAbs          float64
		TFlip, TFlipSq  stats.ExactSum
	}
	groupSnapshot struct {
		Family, From, To string
		Acc              accSnapshot
		Signed           *stats.PairedStream
	}
	pairSnapshot struct {
		Family, From, To, Term, Replacement string
		Acc                                 accSnapshot
	}
)

func (c *acc) snapshot() accSnapshot {
	return accSnapshot{N: c.n, Texts: c.texts, Flips: c.flips, SumAbs: c.sumAbs, Sum: c.sum, MaxAbs: c.maxAbs, TFlip: c.tflip, TFlipSq: c.tflipSq}
}

// MarshalBinary encodes the audit's accumulated state: not the classifier
// and not the settings (UnmarshalBinary needs an audit made by NewAudit
// with the same Config and a classifier with the same labels). The audit
// must be flushed: with texts still queued it returns an error.
func (a *Audit) MarshalBinary() ([]byte, error) {
	if err := a.flushed("encode"); err != nil {
		return nil, err
	}
	snap := auditSnapshot{Version: auditSnapshotVersion, Fingerprint: a.fingerprint, Texts: a.texts, WithTerms: a.withTerms, Swaps: a.swaps,
		FramesSampled: a.frames.sampled}
	for i := range a.famAcc {
		snap.Families = append(snap.Families, a.famAcc[i].snapshot())
	}
	for _, k := range slices.SortedFunc(maps.Keys(a.groupAcc), func(x, y groupKey) int {
		return cmp.Or(cmp.Compare(x.fam, y.fam), cmp.Compare(x.from, y.from), cmp.Compare(x.to, y.to))
	}) {
		snap.Groups = append(snap.Groups, groupSnapshot{Family: a.fams[k.fam].Name, From: k.from, To: k.to, Acc: a.groupAcc[k].snapshot(), Signed: a.signedAcc[k]})
	}
	for _, k := range slices.SortedFunc(maps.Keys(a.pairAcc), func(x, y pairKey) int {
		return cmp.Or(cmp.Compare(x.fam, y.fam), cmp.Compare(x.term, y.term), cmp.Compare(x.to, y.to), cmp.Compare(x.repl, y.repl))
	}) {
		c := a.pairAcc[k]
		snap.Pairs = append(snap.Pairs, pairSnapshot{Family: a.fams[k.fam].Name, From: c.from, To: k.to, Term: k.term, Replacement: k.repl, Acc: c.snapshot()})
	}
	for _, k := range slices.SortedFunc(maps.Keys(a.strata), func(x, y strataKey) int {
		return cmp.Or(cmp.Compare(x.dir.fam, y.dir.fam), cmp.Compare(x.dir.from, y.dir.from), cmp.Compare(x.dir.to, y.dir.to),
			cmp.Compare(x.by, y.by), cmp.Compare(x.stratum, y.stratum))
	}) {
		c := a.strata[k]
		snap.Strata = append(snap.Strata, strataSnapshot{Family: a.fams[k.dir.fam].Name, From: k.dir.from, To: k.dir.to, By: k.by, Stratum: k.stratum,
			Texts: c.texts, Swaps: c.swaps, Flips: c.flips, Sum: c.sum, SumSq: c.sumSq})
	}
	held := slices.Clone(a.worst)
	slices.SortFunc(held, func(x, y *heldExample) int { return compareExamples(&x.Example, &y.Example) })
	for _, h := range held {
		snap.Worst = append(snap.Worst, h.Example)
	}
	return gobsnap.Encode("counterfactual", "the audit", snap)
}

// UnmarshalBinary replaces the audit's accumulated state with data from
// MarshalBinary. The audit must have been made by NewAudit with the same
// Config (the batch size may differ) and a classifier with the same
// labels, and have no texts queued. Data from other settings, another
// version, or not from MarshalBinary at all is refused with an error, and
// the audit is then left as it was.
func (a *Audit) UnmarshalBinary(data []byte) error {
	if err := a.flushed("decode into"); err != nil {
		return err
	}
	var snap auditSnapshot
	if err := gobsnap.Decode("counterfactual", "an audit", data, &snap); err != nil {
		return err
	}
	if snap.Version != auditSnapshotVersion {
		return fmt.Errorf("counterfactual: encoded audit has version %d, this build reads version %d", snap.Version, auditSnapshotVersion)
	}
	if snap.Fingerprint != a.fingerprint {
		return fmt.Errorf("counterfactual: encoded audit was made with different labels, target, families or settings (fingerprint %.12s, this audit's %.12s)", snap.Fingerprint, a.fingerprint)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("counterfactual: corrupt encoded audit: "+format, args...)
	}
	if snap.Texts < 0 || snap.WithTerms < 0 || snap.WithTerms > snap.Texts || snap.Swaps < 0 {
		return bad("%d texts, %d with terms, %d swaps", snap.Texts, snap.WithTerms, snap.Swaps)
	}
	if len(snap.Families) != len(a.fams) {
		return bad("%d family rows for %d families", len(snap.Families), len(a.fams))
	}
	restore := func(s accSnapshot) (*acc, error) {
		if s.N < 0 || s.Texts < 0 || s.Flips < 0 || s.Flips > s.N || s.Texts > s.N || !finite(s.MaxAbs) || s.MaxAbs < 0 ||
			!finite(s.Sum.Value()) || !finite(s.SumAbs.Value()) ||
			!(s.TFlip.Value() >= 0 && s.TFlip.Value() <= float64(s.Texts)) || !(s.TFlipSq.Value() >= 0 && s.TFlipSq.Value() <= float64(s.Texts)) {
			return nil, bad("a row of %d swaps, %d texts, %d flips, Δp sum %v, |Δp| sum %v, largest |Δp| %v",
				s.N, s.Texts, s.Flips, s.Sum.Value(), s.SumAbs.Value(), s.MaxAbs)
		}
		return &acc{n: s.N, texts: s.Texts, flips: s.Flips, sumAbs: s.SumAbs, sum: s.Sum, maxAbs: s.MaxAbs, tflip: s.TFlip, tflipSq: s.TFlipSq}, nil
	}
	fam := func(name string) (int, error) {
		i, ok := a.famPos[name]
		if !ok {
			return 0, bad("unknown family %q", name)
		}
		return i, nil
	}
	famAcc := make([]acc, len(a.fams))
	for i, s := range snap.Families {
		c, err := restore(s)
		if err != nil {
			return err
		}
		famAcc[i] = *c
	}
	groupAcc := make(map[groupKey]*acc, len(snap.Groups))
	signedAcc := make(map[groupKey]*stats.PairedStream, len(snap.Groups))
	for _, g := range snap.Groups {
		fi, err := fam(g.Family)
		if err != nil {
			return err
		}
		k := groupKey{fi, g.From, g.To}
		if groupAcc[k] != nil {
			return bad("direction %s → %s of %q twice", g.From, g.To, g.Family)
		}
		if groupAcc[k], err = restore(g.Acc); err != nil {
			return err
		}
		// The stream must be the one this audit would have started for
		// the direction: same reservoir and seed.
		if g.Signed == nil || a.newSigned(k).Merge(g.Signed) != nil {
			return bad("direction %s → %s of %q: missing paired stream, or one of another reservoir or seed", g.From, g.To, g.Family)
		}
		signedAcc[k] = g.Signed
	}
	pairAcc := make(map[pairKey]*acc, len(snap.Pairs))
	for _, p := range snap.Pairs {
		fi, err := fam(p.Family)
		if err != nil {
			return err
		}
		k := pairKey{fi, p.Term, p.To, p.Replacement}
		if pairAcc[k] != nil {
			return bad("pair %s → %s of %q twice", p.Term, p.Replacement, p.Family)
		}
		c, err := restore(p.Acc)
		if err != nil {
			return err
		}
		c.from = p.From
		pairAcc[k] = c
	}
	strata := make(map[strataKey]*stratumAcc, len(snap.Strata))
	for _, st := range snap.Strata {
		fi, err := fam(st.Family)
		if err != nil {
			return err
		}
		k := strataKey{groupKey{fi, st.From, st.To}, st.By, st.Stratum}
		if strata[k] != nil {
			return bad("stratum %s %q of %s → %s in %q twice", st.By, st.Stratum, st.From, st.To, st.Family)
		}
		if (st.By != ByKind && st.By != ByFrame) || st.Texts <= 0 || st.Swaps < st.Texts || st.Flips < 0 || st.Flips > st.Swaps ||
			!finite(st.Sum.Value()) || !finite(st.SumSq.Value()) || st.SumSq.Value() < 0 {
			return bad("stratum %s %q of %s → %s in %q: %d texts, %d swaps, %d flips, sums %v and %v",
				st.By, st.Stratum, st.From, st.To, st.Family, st.Texts, st.Swaps, st.Flips, st.Sum.Value(), st.SumSq.Value())
		}
		strata[k] = &stratumAcc{texts: st.Texts, swaps: st.Swaps, flips: st.Flips, sum: st.Sum, sumSq: st.SumSq}
	}
	frames := newFrameSet(a.frames.max)
	frames.sampled = snap.FramesSampled
	for k := range strata {
		if k.by == ByFrame {
			frames.hash[k.stratum] = frameHash(k.stratum)
		}
	}
	if len(frames.hash) > frames.max {
		return bad("%d frames in the strata, more than MaxFrames = %d", len(frames.hash), frames.max)
	}
	if len(snap.Worst) > a.topK {
		return bad("%d worst examples, more than TopK = %d", len(snap.Worst), a.topK)
	}
	var worst exampleHeap
	for _, ex := range snap.Worst {
		if _, err := fam(ex.Swap.Family); err != nil {
			return err
		}
		if len(ex.OriginalProbs) != len(a.labels) || len(ex.SwappedProbs) != len(a.labels) {
			return bad("an example with %d and %d probabilities for %d labels", len(ex.OriginalProbs), len(ex.SwappedProbs), len(a.labels))
		}
		notFinite := func(p float64) bool { return !finite(p) }
		if notFinite(ex.Delta) || slices.ContainsFunc(ex.OriginalProbs, notFinite) || slices.ContainsFunc(ex.SwappedProbs, notFinite) {
			return bad("an example with Δp %v and probabilities %v, %v", ex.Delta, ex.OriginalProbs, ex.SwappedProbs)
		}
		worst = append(worst, &heldExample{Example: ex})
	}
	heap.Init(&worst)
	a.texts, a.withTerms, a.swaps = snap.Texts, snap.WithTerms, snap.Swaps
	a.famAcc, a.groupAcc, a.signedAcc, a.pairAcc, a.strata, a.frames, a.worst = famAcc, groupAcc, signedAcc, pairAcc, strata, frames, worst
	return nil
}
