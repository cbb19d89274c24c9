package report

import "github.com/lucid-nlp/lucid/attribution"

// pairHeatmaps is an explanation's heatmap, or for a sentence pair the two
// texts' heatmaps apart: each text with its own features, whose offsets
// index that text.
func pairHeatmaps(r *attribution.Result, max float64) (Heat, *Heat) {
	if r.TextPair == nil {
		return heatmap(r, max), nil
	}
	var heats [2]Heat
	for seg := range heats {
		part := *r
		part.Features = nil
		if seg == 1 {
			part.Text = *r.TextPair
		}
		for _, f := range r.Features {
			if f.Segment != nil && *f.Segment == seg {
				part.Features = append(part.Features, f)
			}
		}
		heats[seg] = heatmap(&part, max)
	}
	return heats[0], &heats[1]
}

// featureName is a feature as the top-features table names it: of a
// sentence pair, with the text it is in.
func featureName(f attribution.FeatureAttribution) string {
	if f.Segment == nil {
		return f.Text
	}
	return f.Text + [...]string{" (text)", " (text_pair)"}[*f.Segment]
}

// pairTitle is what an explanation's heading shows: its text, or its
// pair joined by ␞.
func pairTitle(r *attribution.Result) string {
	if r.TextPair == nil {
		return r.Text
	}
	return r.Text + " ␞ " + *r.TextPair
}
