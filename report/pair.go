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
