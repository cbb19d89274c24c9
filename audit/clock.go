package audit

import "time"

// clock times the audit's phases into Report.Timings.
type clock struct {
	rep   *Report
	phase string
	t0    time.Time
}

func newClock(rep *Report) *clock { return &clock{rep: rep} }

func (c *clock) start(phase string) { c.phase, c.t0 = phase, time.Now() }

// stop records the running phase; items is what it processed.
func (c *clock) stop(items int) {
	d := time.Since(c.t0).Seconds()
	c.rep.Timings = append(c.rep.Timings, Timing{Phase: c.phase, Seconds: d, Items: items})
	if c.phase == "reading" && d > 0 {
		c.rep.RowsPerSecond = float64(items) / d
	}
}
