package thresholds

import "sort"

// vertex is a point of a group's trade-off curve: the rule "positive when
// the score's bin is ≥ k" reaches (x, y).
type vertex struct {
	x, y float64
	k    int
}

// upperHull returns the upper concave hull of points already sorted by x
// ascending (Andrew's monotone chain, upper half). Among points with the
// same x only the highest is kept, so the hull is a function of x.
func upperHull(pts []vertex) []vertex {
	var h []vertex
	for _, p := range pts {
		if len(h) > 0 && h[len(h)-1].x == p.x {
			if p.y <= h[len(h)-1].y {
				continue
			}
			h = h[:len(h)-1]
		}
		for len(h) >= 2 && cross(h[len(h)-2], h[len(h)-1], p) >= 0 {
			h = h[:len(h)-1]
		}
		h = append(h, p)
	}
	return h
}

// cross is the z-component of (b − a) × (c − a): ≥ 0 when b lies on or
// below the segment a–c, so b is not a vertex of the upper hull.
func cross(a, b, c vertex) float64 {
	return (b.x-a.x)*(c.y-a.y) - (b.y-a.y)*(c.x-a.x)
}

// mixture is a point of a hull: the rule of vertex lo (fewer positives)
// with probability 1 − w, that of vertex hi (more positives) with w.
type mixture struct {
	y      float64
	lo, hi vertex
	w      float64
}

// at evaluates the hull at x in [h[0].x, h[len−1].x] (clamped outside).
func at(h []vertex, x float64) mixture {
	if x <= h[0].x {
		return mixture{y: h[0].y, lo: h[0], hi: h[0]}
	}
	last := h[len(h)-1]
	if x >= last.x {
		return mixture{y: last.y, lo: last, hi: last}
	}
	// The first vertex strictly right of x; its left neighbour is ≤ x.
	j := sort.Search(len(h), func(i int) bool { return h[i].x > x })
	a, b := h[j-1], h[j]
	w := (x - a.x) / (b.x - a.x)
	return mixture{y: a.y + w*(b.y-a.y), lo: a, hi: b, w: w}
}
