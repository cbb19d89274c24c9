// Package edit searches for counterfactual edits: the smallest set of a
// text's words whose removal makes a classifier give another label (or
// the label asked for), verified by running the edited text afresh as
// lucid predict would. Search tries every single word, then a greedy
// removal in the order an explanation gives (Guide), then every set of
// 2, 3, … words while a size fits the budget, and a beam of BeamWidth
// sets where it does not; Edit says whether the edit found is minimal.
// The explainer (package attribution) builds its Problem from a Request.
package edit

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lucid-nlp/lucid/attribution/game"
	"github.com/lucid-nlp/lucid/engine"
	"github.com/lucid-nlp/lucid/evaluate"
	"github.com/lucid-nlp/lucid/internal/shorten"
	"github.com/lucid-nlp/lucid/perturb"
	"github.com/lucid-nlp/lucid/tokenize"
)

// DefaultBudget is the model evaluations a counterfactual edit search
// may spend when a request gives none: on the shipped model it finds an
// edit for most SST-2 dev sentences (see TestCounterfactualEditsOnSST2).
const DefaultBudget = 512

// BeamWidth is how many of the best word sets of one size the search
// extends by one more word when a size has too many sets to try them all.
const BeamWidth = 8

// editChunk is the most rows the edit search builds and runs at a time, so
// that a large budget never holds all its rows of ids at once and a
// cancelled context stops it between chunks.
const editChunk = 256

// LiveBytes estimates the memory a search of budget rows (0: DefaultBudget)
// over features features of a text of tokens tokens holds at its peak:
// every set it valued (a coalition, its key and its evaluation) and a
// chunk of rows.
func LiveBytes(budget, features, tokens int) int64 {
	if budget == 0 {
		budget = DefaultBudget
	}
	words := (int64(max(features, 0)) + 63) / 64
	return int64(budget)*(3*(48+8*words)+64) + int64(editChunk)*int64(max(tokens, 1))*8*6
}

// editGreedyStep is how many prefixes of the greedy order run in one batch:
// enough to batch, few enough not to waste rows past the first flip.
const editGreedyStep = 4

// The kinds of edit (Edit.EditKind): how removed words are written in the
// edited text, and so what the search ran.
const (
	// WordMask: each removed word (feature) became one mask or unknown
	// token, whatever number of word-pieces it had, and shows as that
	// token's text ("[MASK]") in the edited text.
	WordMask = "word_mask"
	// Delete: the removed words were cut out of the text (--mask
	// delete, and --mask pad, which has no text form).
	Delete = "delete"
)

// Edit is a minimal counterfactual edit: the smallest set of features found
// whose removal makes the model give another label. The search removes a
// feature the way its edited text writes it (EditKind), and the label and
// probability reported are those of the edited text itself, tokenized
// afresh and run as lucid predict runs it: pasting EditedText into predict
// reproduces them.
type Edit struct {
	// Goal is the label the edit was asked to reach (--why-not); empty when
	// any label but the predicted one would do.
	Goal string `json:"goal,omitempty"`
	// From is the model's label for the unedited text.
	From  string `json:"from"`
	Found bool   `json:"found"`
	// Removed are the removed features' indexes into Result.Features (in
	// text order), Words their texts.
	Removed []int    `json:"removed,omitempty"`
	Words   []string `json:"words,omitempty"`
	// Label and Probability are the model's label for the edited text and
	// its probability; Probabilities all labels'.
	Label         string             `json:"label,omitempty"`
	Probability   float64            `json:"probability,omitempty"`
	Probabilities map[string]float64 `json:"probabilities,omitempty"`
	// EditedText is the edit as text: each removed word replaced by one
	// mask or unknown token's text (EditKind word_mask) or cut out
	// (delete). Label and Probabilities are the model's on this text.
	EditedText string `json:"edited_text,omitempty"`
	Mask       string `json:"mask"`
	// EditKind is how the search removed words: WordMask or
	// Delete.
	EditKind string `json:"edit_kind"`
	// RoundTrip is true when EditedText tokenizes to exactly the ids the
	// search ran for the edit; when false (the text was truncated, or a
	// tokenizer reads the text differently), the reported label and
	// probability are still the edited text's own.
	RoundTrip bool `json:"round_trip"`
	// Fill is the text each removed word became (WordMask): the
	// mask or unknown token's text, "[MASK]" or "<mask>".
	Fill string `json:"fill,omitempty"`
	// Minimal is true when every smaller set of words was tried and none
	// changes the label; ExhaustiveSize is the largest k such that every
	// set of at most k words was tried.
	Minimal        bool `json:"minimal"`
	ExhaustiveSize int  `json:"exhaustive_size"`
	// Verified is true when a fresh model run on the edited text gave a
	// label the edit asked for.
	Verified bool `json:"verified"`
	// Budget is the rows the search could spend; Evaluations the rows it
	// ran, counting the unedited text and the verifying re-run.
	Budget      int     `json:"budget"`
	Evaluations int     `json:"evaluations"`
	Seconds     float64 `json:"runtime_seconds"`
	// Message says why no edit was found.
	Message string `json:"message,omitempty"`
}

// Sentence is the edit in words: "removing 'not' and 'bad' makes the model
// say POSITIVE (0.710)", or why none was found.
func (e *Edit) Sentence() string {
	if e == nil {
		return ""
	}
	if !e.Found {
		return "no edit found: " + e.Message
	}
	// "removing" whatever the masking: the edited text shows what took
	// the words' place.
	s := fmt.Sprintf("removing %s makes the model say %s (%.3f)", quoteList(e.Words), e.Label, e.Probability)
	switch {
	case e.Minimal && len(e.Words) == 1:
		s += "; one word is the smallest edit there is"
	case e.Minimal:
		s += fmt.Sprintf("; no edit of fewer words does (every edit of up to %d word%s tried)", e.ExhaustiveSize, plural(e.ExhaustiveSize))
	case e.ExhaustiveSize > 0:
		s += fmt.Sprintf("; the smallest found within %d evaluations (every edit of up to %d word%s tried, none smaller found by the beam)", e.Budget, e.ExhaustiveSize, plural(e.ExhaustiveSize))
	default:
		s += fmt.Sprintf("; the smallest found within %d evaluations", e.Budget)
	}
	return s
}

// KindWords says in words how the edited text writes the removed words.
func (e *Edit) KindWords() string {
	if e.EditKind == Delete {
		return "removed words cut out"
	}
	if e.Fill == "" {
		return "one mask token per removed word"
	}
	return "one " + e.Fill + " per removed word"
}

// Problem is one search: a text, its features and how they are removed,
// the model, the label asked for and the budget.
type Problem struct {
	Model engine.Model
	// Head reads the model's logits as probabilities (engine.HeadOf, or
	// the explainer's own).
	Head      engine.Head
	Tokenizer *tokenize.Tokenizer
	// Text is the text to edit, Encoding its encoding by Tokenizer, and
	// Features the features that may be removed (words, tokens, ...).
	Text     string
	Encoding *tokenize.Encoding
	Features []perturb.Feature
	// Level names the features in messages.
	Level perturb.Level
	// Masking is how a removed feature is written: one mask or unknown
	// token per word, or cut out (Delete, Pad).
	Masking perturb.Masking
	// Goal is the index of the label the edit must reach, or -1 for any
	// label but the predicted one.
	Goal int
	// Guide, when given, orders the greedy removal.
	Guide *Guide
	// Budget bounds the rows the search runs (0: DefaultBudget, at most
	// game.MaxBudget).
	Budget int
}

// Guide is an explanation of the text being edited: the label it
// explains and one attribution per feature of Problem.Features.
type Guide struct {
	Target       int
	Attributions []float64
}

// Search looks for the smallest set of p.Features whose removal (by
// p.Masking) makes the model give p.Goal, or any label but the predicted
// one when p.Goal is -1.
//
// The search tries every single word first; then removes words greedily in
// the order the guide's attributions give (the words supporting the
// predicted label, or opposing the goal, first; without a guide, the order
// of the single removals' effect) until the label changes, and drops words
// from that set that are not needed; then tries every set of 2, 3, … words
// while all of a size fit the remaining budget, and a beam of BeamWidth
// sets extended word by word when they do not, stopping at the first size
// where a set changes the label. The edit found is re-run through the
// model.
//
// An edit that cannot be found within the budget is not an error: the
// Edit says Found false and why. On a multi-label model the label is the
// one of highest sigmoid probability; a regression head, with no label to
// change, is refused.
func Search(ctx context.Context, p Problem) (*Edit, error) {
	budget := p.Budget
	switch {
	case budget == 0:
		budget = DefaultBudget
	case budget < 0:
		return nil, fmt.Errorf("attribution: edit budget %d: want 0 (the default %d) or a positive number of evaluations", budget, DefaultBudget)
	case budget > game.MaxBudget:
		return nil, fmt.Errorf("attribution: edit budget %d is more than the maximum of %d evaluations (MaxBudget)", budget, game.MaxBudget)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p.Head == engine.Regression {
		// One output: there is no other label for an edit to reach.
		return nil, errRegression
	}
	feats := p.Features
	if len(feats) == 0 {
		return nil, fmt.Errorf("attribution: text %q has no %s to edit", shorten.Bytes(p.Text, 40), p.Level)
	}
	if p.Guide != nil && len(p.Guide.Attributions) != len(feats) {
		return nil, fmt.Errorf("attribution: the guiding explanation has %d features and the text %d %s: it explains another text or level", len(p.Guide.Attributions), len(feats), p.Level)
	}
	masker, err := perturb.NewMasker(p.Encoding, feats, p.Masking, p.Tokenizer)
	if err != nil {
		return nil, err
	}
	labels := p.Model.Labels()
	if p.Goal < -1 || p.Goal >= len(labels) {
		return nil, fmt.Errorf("attribution: edit goal %d is not one of the model's %d labels (or -1 for any other label)", p.Goal, len(labels))
	}
	s := &editSearch{model: p.Model, head: p.Head, masker: masker, padID: p.Tokenizer.PadID(), n: len(feats),
		goal: -1, budget: budget, cache: map[string]*editEval{}}
	edit := &Edit{Mask: p.Masking.String(), Budget: budget, EditKind: WordMask}
	if p.Masking == perturb.Delete || p.Masking == perturb.Pad {
		edit.EditKind = Delete
	}

	full, err := s.runRows(ctx, []perturb.Row{masker.WordRow(perturb.FullCoalition(s.n))})
	if err != nil {
		return nil, err
	}
	s.orig = engine.Argmax(full[0])
	edit.From = labels[s.orig]
	if g := p.Goal; g >= 0 {
		s.goal, edit.Goal = g, labels[g]
		if g == s.orig {
			edit.Message = fmt.Sprintf("the model already says %s (%.3f): there is nothing to change", labels[g], full[0][g])
			edit.Evaluations, edit.Seconds = s.rowsRun, s.runtime.Seconds()
			return edit, nil
		}
	}
	s.base = s.margin(full[0])

	best, err := s.search(ctx, s.guideOrder(p.Guide))
	if err != nil {
		return nil, err
	}
	edit.ExhaustiveSize = s.exhaustiveUpTo()
	if best == nil {
		edit.Message = s.giveUp(labels)
		edit.Evaluations, edit.Seconds = s.rowsRun, s.runtime.Seconds()
		return edit, nil
	}
	// Verify: the edited text, tokenized afresh and run as predict runs
	// it, outside the search's cache.
	removed := members(best.removed)
	edit.Fill = fillText(p.Tokenizer, p.Masking)
	edited := editedText(p.Text, feats, removed, edit.Fill)
	reread, err := p.Tokenizer.Encode(edited)
	if err != nil {
		return nil, fmt.Errorf("attribution: re-reading the edited text %q: %w", shorten.Bytes(edited, 40), err)
	}
	row := perturb.Row{IDs: reread.IDs, AttentionMask: reread.AttentionMask, TypeIDs: reread.TypeIDs}
	edit.RoundTrip = slices.Equal(row.IDs, masker.WordRow(best.removed.Complement()).IDs)
	probs, err := s.runRows(ctx, []perturb.Row{row})
	if err != nil {
		return nil, err
	}
	edit.Evaluations, edit.Seconds = s.rowsRun, s.runtime.Seconds()
	if !s.flips(probs[0]) {
		why := "the model is not deterministic on this text"
		if !edit.RoundTrip {
			why = "the edited text does not tokenize to the ids the search ran"
		}
		edit.Message = fmt.Sprintf("the edit the search found (%s) did not change the label when its edited text %q was run: %s", quoteList(wordsOf(feats, removed)), shorten.Bytes(edited, 40), why)
		return edit, nil
	}
	edit.Found, edit.Verified = true, true
	edit.Removed = removed
	edit.Words = wordsOf(feats, edit.Removed)
	lab := engine.Argmax(probs[0])
	edit.Label, edit.Probability = labels[lab], probs[0][lab]
	edit.Probabilities = make(map[string]float64, len(labels))
	for i, l := range labels {
		edit.Probabilities[l] = probs[0][i]
	}
	edit.Minimal = edit.ExhaustiveSize >= len(edit.Removed)-1
	edit.EditedText = edited
	return edit, nil
}

// errRegression refuses an edit of a regression head's score.
var errRegression = fmt.Errorf("attribution: counterfactual edit on a regression head: its one output is a score with no label to change; explain the score instead (kernelshap, exact, lime, occlusion)")

// editEval is one evaluated set of removed features.
type editEval struct {
	removed perturb.Coalition // the features removed (not those kept)
	size    int
	margin  float64 // > 0 when the label changed as asked
	flips   bool
}

// editSearch is the state of one Search.
type editSearch struct {
	model  engine.Model
	head   engine.Head
	masker *perturb.Masker
	padID  int64
	n      int
	orig   int // the unedited label
	goal   int // the label asked for, or -1 for any other
	base   float64
	budget int
	used   int // rows run by the search proper (what the budget bounds)

	rowsRun int // every row run, the unedited and verifying runs included
	runtime time.Duration
	cache   map[string]*editEval
	single  []float64 // single removal margins, NaN where not run
	// exhaustive[k] is true when every set of k words was evaluated.
	exhaustive map[int]bool
	bySize     map[int][]*editEval
}

func (s *editSearch) remaining() int { return s.budget - s.used }

// margin is how far probs are past the label change asked for: positive
// when the edit reaches it. For any other label, the best other label's
// probability less the original's; for a goal, the goal's less the best
// other's.
func (s *editSearch) margin(p []float64) float64 {
	keep := s.orig
	if s.goal >= 0 {
		keep = s.goal
	}
	other := math.Inf(-1)
	for i, v := range p {
		if i != keep {
			other = max(other, v)
		}
	}
	if s.goal >= 0 {
		return p[s.goal] - other
	}
	return other - p[s.orig]
}

// flips says whether probs give the label asked for, by the same argmax
// attribution.Explainer predicts with (the first largest).
func (s *editSearch) flips(p []float64) bool {
	a := engine.Argmax(p)
	if s.goal >= 0 {
		return a == s.goal
	}
	return a != s.orig
}

// guideOrder is the order greedy removal follows: features by how much
// the guide says they support the unedited label (or oppose the goal),
// most first. Without a usable guide it is the order of the single
// removals' margins, filled in by the search.
func (s *editSearch) guideOrder(guide *Guide) []float64 {
	if guide == nil {
		return nil
	}
	sign := 0.0
	switch {
	case s.goal >= 0 && guide.Target == s.goal:
		sign = -1 // words against the goal hold the label where it is
	case guide.Target == s.orig:
		sign = 1
	case len(s.model.Labels()) == 2:
		sign = -1 // the other of two labels
	default:
		return nil
	}
	support := make([]float64, s.n)
	for i, a := range guide.Attributions {
		support[i] = sign * a
	}
	return support
}

// evaluate values the sets not yet valued, within the budget; it returns
// the evaluations in the order of sets, nil for sets the budget did not
// reach.
func (s *editSearch) evaluate(ctx context.Context, sets []perturb.Coalition) ([]*editEval, error) {
	out := make([]*editEval, len(sets))
	var todo []int
	seen := map[string]bool{}
	for i, c := range sets {
		k := c.Key()
		if e, ok := s.cache[k]; ok {
			out[i] = e
			continue
		}
		if seen[k] || len(todo) >= s.remaining() {
			continue
		}
		seen[k] = true
		todo = append(todo, i)
	}
	for startAt := 0; startAt < len(todo); startAt += editChunk {
		chunk := todo[startAt:min(startAt+editChunk, len(todo))]
		rows := make([]perturb.Row, len(chunk))
		for j, i := range chunk {
			rows[j] = s.masker.WordRow(sets[i].Complement())
		}
		probs, err := s.runRows(ctx, rows)
		if err != nil {
			return nil, err
		}
		s.used += len(chunk)
		for j, i := range chunk {
			e := &editEval{removed: sets[i], size: sets[i].Size(), margin: s.margin(probs[j]), flips: s.flips(probs[j])}
			s.cache[sets[i].Key()] = e
			s.bySize[e.size] = append(s.bySize[e.size], e)
		}
	}
	for i, c := range sets {
		if out[i] == nil {
			out[i] = s.cache[c.Key()]
		}
	}
	return out, nil
}

// runRows runs rows through the model, those of one length together in
// batches of evaluate.DefaultBatchSize, and returns each row's
// probabilities.
func (s *editSearch) runRows(ctx context.Context, rows []perturb.Row) ([][]float64, error) {
	out := make([][]float64, len(rows))
	byLen := map[int][]int{}
	var lengths []int
	for i, r := range rows {
		if _, ok := byLen[len(r.IDs)]; !ok {
			lengths = append(lengths, len(r.IDs))
		}
		byLen[len(r.IDs)] = append(byLen[len(r.IDs)], i)
	}
	for _, seq := range lengths {
		idx := byLen[seq]
		for at := 0; at < len(idx); at += evaluate.DefaultBatchSize {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			part := idx[at:min(at+evaluate.DefaultBatchSize, len(idx))]
			b := engine.Batch{Rows: len(part), SeqLen: seq}
			for _, i := range part {
				r := rows[i]
				b.InputIDs = append(b.InputIDs, r.IDs...)
				b.AttentionMask = append(b.AttentionMask, r.AttentionMask...)
				if r.TypeIDs != nil {
					b.TokenTypeIDs = append(b.TokenTypeIDs, r.TypeIDs...)
				} else {
					b.TokenTypeIDs = append(b.TokenTypeIDs, make([]int64, seq)...)
				}
			}
			t0 := time.Now()
			logits, err := s.model.Run(ctx, b)
			if err != nil {
				return nil, fmt.Errorf("attribution: edit search: running %d rows of length %d: %w", len(part), seq, err)
			}
			s.runtime += logits.RunTime(t0)
			s.rowsRun += len(part)
			for j, i := range part {
				out[i] = s.head.Probabilities(logits.Row(j))
			}
		}
	}
	return out, nil
}

// search runs the phases Search describes and returns the
// smallest flipping set it found (best margin among those of that size),
// or nil.
func (s *editSearch) search(ctx context.Context, support []float64) (*editEval, error) {
	s.exhaustive, s.bySize = map[int]bool{}, map[int][]*editEval{}
	n := s.n
	// Singles, in the guide's order so that a short budget tries the
	// likeliest first.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if support != nil {
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(support[b], support[a]) })
	}
	singles := make([]perturb.Coalition, n)
	for j, i := range order {
		singles[j] = removal(n, i)
	}
	evs, err := s.evaluate(ctx, singles)
	if err != nil {
		return nil, err
	}
	s.single = make([]float64, n)
	for j, i := range order {
		s.single[i] = math.NaN()
		if evs[j] != nil {
			s.single[i] = evs[j].margin
		}
	}
	s.exhaustive[1] = allValued(evs)
	if best := bestFlip(evs); best != nil {
		return best, nil
	}
	if support == nil {
		// No guide: order by the single removals' effect.
		support = make([]float64, n)
		for i := range n {
			support[i] = s.single[i]
			if math.IsNaN(support[i]) {
				support[i] = math.Inf(-1)
			}
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(support[b], support[a]) })
	}

	// Greedy: remove words in order until the label changes.
	var greedy *editEval
	cur := perturb.NewCoalition(n)
	cur.Set(order[0])
	for k := 1; k < n && greedy == nil && s.remaining() > 0; k += editGreedyStep {
		var prefixes []perturb.Coalition
		for j := k; j < min(k+editGreedyStep, n); j++ {
			cur.Set(order[j])
			prefixes = append(prefixes, cur.Clone())
		}
		evs, err := s.evaluate(ctx, prefixes)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if e != nil && e.flips {
				greedy = e
				break
			}
		}
	}
	// Trim: put back words the flip does not need, least supportive first.
	if greedy != nil {
		set := greedy.removed.Clone()
		for j := n - 1; j >= 0 && s.remaining() > 0; j-- {
			i := order[j]
			if !set.Has(i) || set.Size() == 1 {
				continue
			}
			try := set.Clone()
			try.Clear(i)
			evs, err := s.evaluate(ctx, []perturb.Coalition{try})
			if err != nil {
				return nil, err
			}
			if evs[0] != nil && evs[0].flips {
				set, greedy = try, evs[0]
			}
		}
	}

	// Sizes 2, 3, …: all sets of a size when they fit, else a beam.
	limit := n
	if greedy != nil {
		limit = greedy.size - 1
	}
	for k := 2; k <= limit && s.remaining() > 0; k++ {
		var sets []perturb.Coalition
		if c := setCount(n, k); c <= int64(s.remaining())+int64(s.cachedOfSize(k)) {
			sets = perturb.CoalitionsOfSize(n, k)
			evs, err := s.evaluate(ctx, sets)
			if err != nil {
				return nil, err
			}
			s.exhaustive[k] = allValued(evs)
			if best := bestFlip(evs); best != nil {
				return best, nil
			}
			continue
		}
		sets = s.beam(k)
		evs, err := s.evaluate(ctx, sets)
		if err != nil {
			return nil, err
		}
		if best := bestFlip(evs); best != nil {
			return best, nil
		}
	}
	return greedy, nil
}

// cachedOfSize counts the sets of k words already valued (they cost no
// budget when an exhaustive pass meets them again).
func (s *editSearch) cachedOfSize(k int) int { return len(s.bySize[k]) }

// beam extends the BeamWidth best sets of k−1 words by each word not
// in them, the likeliest first (parent's margin plus the word's single
// removal gain).
func (s *editSearch) beam(k int) []perturb.Coalition {
	parents := slices.Clone(s.bySize[k-1])
	slices.SortStableFunc(parents, func(a, b *editEval) int { return cmp.Compare(b.margin, a.margin) })
	parents = parents[:min(BeamWidth, len(parents))]
	type cand struct {
		c     perturb.Coalition
		score float64
	}
	var cands []cand
	seen := map[string]bool{}
	for _, p := range parents {
		for i := range s.n {
			if p.removed.Has(i) {
				continue
			}
			c := p.removed.Clone()
			c.Set(i)
			if seen[c.Key()] {
				continue
			}
			seen[c.Key()] = true
			gain := 0.0
			if !math.IsNaN(s.single[i]) {
				gain = s.single[i] - s.base
			}
			cands = append(cands, cand{c, p.margin + gain})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.score, a.score) })
	out := make([]perturb.Coalition, len(cands))
	for i, c := range cands {
		out[i] = c.c
	}
	return out
}

// exhaustiveUpTo is the largest k such that every set of 1..k words was
// valued.
func (s *editSearch) exhaustiveUpTo() int {
	k := 0
	for s.exhaustive[k+1] {
		k++
	}
	return k
}

// giveUp says why no edit was found.
func (s *editSearch) giveUp(labels []string) string {
	want := "another label than " + labels[s.orig]
	if s.goal >= 0 {
		want = labels[s.goal]
	}
	msg := fmt.Sprintf("within %d evaluations, no removal of words made the model say %s", s.budget, want)
	if k := s.exhaustiveUpTo(); k > 0 {
		msg += fmt.Sprintf(" (every removal of up to %d word%s was tried)", k, plural(k))
	}
	all := s.cache[perturb.FullCoalition(s.n).Key()]
	if all != nil && !all.flips {
		msg += "; even removing every word does not"
	} else {
		msg += "; a larger edit budget may find one"
	}
	return msg
}

func removal(n, i int) perturb.Coalition {
	c := perturb.NewCoalition(n)
	c.Set(i)
	return c
}

func allValued(evs []*editEval) bool {
	for _, e := range evs {
		if e == nil {
			return false
		}
	}
	return true
}

// bestFlip is the flipping set with the largest margin, or nil.
func bestFlip(evs []*editEval) *editEval {
	var best *editEval
	for _, e := range evs {
		if e != nil && e.flips && (best == nil || e.margin > best.margin) {
			best = e
		}
	}
	return best
}

// setCount is C(n, k), saturating at MaxInt64.
func setCount(n, k int) int64 {
	if k < 0 || k > n {
		return 0
	}
	k = min(k, n-k)
	r := int64(1)
	for i := 1; i <= k; i++ {
		if r > math.MaxInt64/int64(n-k+i) {
			return math.MaxInt64
		}
		r = r * int64(n-k+i) / int64(i)
	}
	return r
}

func members(c perturb.Coalition) []int {
	var out []int
	for i := range c.N() {
		if c.Has(i) {
			out = append(out, i)
		}
	}
	return out
}

func wordsOf(feats []perturb.Feature, idx []int) []string {
	out := make([]string, len(idx))
	for j, i := range idx {
		out[j] = feats[i].Text
	}
	return out
}

// fillText is what a removed word shows as in EditedText: the text of the
// one token perturb.Masker.WordRow puts in its place, or "" where it cuts
// the word (Delete, Pad).
func fillText(tok *tokenize.Tokenizer, m perturb.Masking) string {
	var id int64
	var ok bool
	switch m {
	case perturb.Delete, perturb.Pad:
		return ""
	case perturb.MaskToken:
		id, ok = tok.MaskID()
	case perturb.Unknown:
		id, ok = tok.UnkID()
	}
	if !ok {
		return ""
	}
	return tok.TokenString(id)
}

// editedText replaces the removed features' spans of text by fill. A cut
// (fill "") between two characters that are not spaces leaves a space, so
// that the words on either side are not glued into one ("x(y" less "("
// reads "x y"), and runs of spaces become one.
func editedText(text string, feats []perturb.Feature, removed []int, fill string) string {
	var b strings.Builder
	last := 0
	for _, i := range removed {
		f := feats[i]
		if f.Start < last {
			continue
		}
		b.WriteString(text[last:f.Start])
		b.WriteString(fill)
		if fill == "" && f.Start > 0 && f.End < len(text) {
			b.WriteString(" ")
		}
		last = f.End
	}
	b.WriteString(text[last:])
	if fill == "" {
		return strings.Join(strings.Fields(b.String()), " ")
	}
	return b.String()
}

// quoteList writes words as 'a', 'a' and 'b', or 'a', 'b' and 'c'.
func quoteList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + w + "'"
	}
	switch len(q) {
	case 0:
		return "nothing"
	case 1:
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
