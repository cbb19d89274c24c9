package audit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lucid-nlp/lucid/fairness/stats"
	"github.com/lucid-nlp/lucid/fairness/suite"
)

// An audit with a suite runs it through the model and reports it: here
// wordModel knows only "good", so the MFT of other praise words is a
// planted failure the audit must FAIL, in report.json and the summary.
func TestAuditRunsSuite(t *testing.T) {
	s, err := suite.Load(strings.NewReader(`{"name":"praise","lexicons":{
	  "adj":["great","wonderful","superb","charming","moving","brilliant"],"thing":["film","movie","plot","story"]},
	  "tests":[
	    {"name":"praise words","type":"mft","label":"POSITIVE","templates":["The {thing} was {adj}."]},
	    {"name":"good","type":"mft","label":"positive","templates":["A good {thing}."]}]}`), "praise.json")
	require.NoError(t, err)
	rep, err := Run(context.Background(), wordModel{}, nil, Config{
		Source: strings.NewReader("text,label\na good film,POSITIVE\na dull film,NEGATIVE\n"), Name: "x.csv",
		Checks: []string{CheckGroups}, Suite: s, Seed: 1,
	})
	require.NoError(t, err)
	require.NotNil(t, rep.Suite)
	require.Len(t, rep.Suite.Tests, 2)
	praise := rep.Suite.Tests[0]
	assert.Equal(t, 24, praise.Tested)
	assert.Equal(t, 24, praise.Failures)
	assert.Equal(t, stats.Fail, praise.Verdict.Status, praise.Verdict.Reason)
	require.Len(t, praise.Examples, 5)
	assert.Equal(t, "NEGATIVE", praise.Examples[0].Label)
	assert.Zero(t, rep.Suite.Tests[1].Failures)
	assert.Equal(t, 0.1, rep.Suite.Tolerance, "the audit's tolerance")

	var found bool
	for _, f := range rep.Summary {
		if f.Check == "suite" {
			found = true
			assert.Equal(t, "fail", f.Status)
			assert.Contains(t, f.Message, "praise words 100.0%")
		}
	}
	assert.True(t, found, "the summary has the suite's finding")
	js, err := json.Marshal(rep)
	require.NoError(t, err)
	assert.Contains(t, string(js), `"suite":{"suite":"praise"`)

	var timed bool
	for _, tm := range rep.Timings {
		timed = timed || (tm.Phase == "suite" && tm.Items == 28)
	}
	assert.True(t, timed, "the suite's phase is timed with its 28 texts")
}

func TestSuiteNeedsModel(t *testing.T) {
	s, err := suite.Load(strings.NewReader(`{"name":"n","tests":[{"name":"a","type":"mft","label":"x","templates":["x"]}]}`), "n.json")
	require.NoError(t, err)
	_, err = Run(context.Background(), nil, nil, Config{Source: strings.NewReader("text,label\na,POSITIVE\n"), Name: "x.csv",
		Checks: []string{CheckData}, Labels: []string{"NEGATIVE", "POSITIVE"}, Suite: s})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `test suite "n" runs the model`)
}
