package compare

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every metrics row of a comparison is the figure report.json holds.
func TestMetricRowsEqualReportJSON(t *testing.T) {
	rep := runModels(t, wordModel{}, wordModel{flipWord: "twist"}, 600)
	js, err := json.Marshal(rep)
	require.NoError(t, err)
	var doc struct {
		Models struct {
			Agreement struct{ Value, Low, High, Of float64 }
			Flips     struct {
				Rate float64
				CI   struct{ Low, High float64 }
				Rows int
			}
			AbsDelta struct {
				Summary struct {
					N               int
					Mean, Low, High float64
				}
			} `json:"abs_delta"`
			ByGroup []struct {
				Column string
				Groups []struct {
					Name string
					Rate float64
					CI   struct{ Low, High float64 }
					Rows int
				}
			} `json:"by_group"`
		}
	}
	require.NoError(t, json.Unmarshal(js, &doc))
	rows := map[string][4]float64{}
	for _, r := range MetricRows(rep) {
		rows[r.Check+"/"+r.Metric+"/"+r.Group] = [4]float64{r.Value, r.Low, r.High, float64(r.N)}
	}
	m := doc.Models
	assert.Equal(t, [4]float64{m.Agreement.Value, m.Agreement.Low, m.Agreement.High, m.Agreement.Of}, rows["models/agreement/"])
	assert.Equal(t, [4]float64{m.Flips.Rate, m.Flips.CI.Low, m.Flips.CI.High, float64(m.Flips.Rows)}, rows["models/flip_rate/"])
	s := m.AbsDelta.Summary
	assert.Equal(t, [4]float64{s.Mean, s.Low, s.High, float64(s.N)}, rows["models/mean_abs_delta/"])
	require.Len(t, m.ByGroup, 1)
	for _, g := range m.ByGroup[0].Groups {
		assert.Equal(t, [4]float64{g.Rate, g.CI.Low, g.CI.High, float64(g.Rows)}, rows["flips_by_group/flip_rate/group="+g.Name], g.Name)
	}
}
