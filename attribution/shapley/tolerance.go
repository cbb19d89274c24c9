package shapley

import (
	"context"
	"fmt"
	"math"

	"github.com/lucid-nlp/lucid/attribution/game"
)

// Diagnostic keys of KernelSHAPToTolerance.
const (
	// DiagToleranceMet is 1 when every standard error fell below the
	// tolerance (and was calibrated), 0 when the budget cap was hit first.
	DiagToleranceMet = "tolerance_met"
	// DiagToleranceRounds is the number of KernelSHAP rounds run.
	DiagToleranceRounds = "tolerance_rounds"
	// DiagMaxStdErr is the largest standard error of the result.
	DiagMaxStdErr = "max_stderr"
)

// KernelSHAPToTolerance runs KernelSHAP at doubling budgets, from the
// smallest at which its standard errors are calibrated (at least 64), until
// every feature's standard error is below tol or the next budget would
// exceed maxBudget; the last round's result is returned. Each round is a
// fresh design: a game that caches (the text explainer's does) values
// coalitions repeated across rounds once, so the model evaluations taken
// are at most the sum of the rounds' budgets, and Evaluations reports that
// sum. A round whose standard errors are not calibrated never stops the
// loop, so an answer that meets tol meets it with calibrated intervals. When
// 2^n fits a round's budget the result is exact and the tolerance is met.
func KernelSHAPToTolerance(ctx context.Context, g game.Game, tol float64, maxBudget int, seed uint64) (*game.Attribution, error) {
	n, err := game.FeatureCount(g)
	if err != nil {
		return nil, fmt.Errorf("attribution: KernelSHAPToTolerance: %w", err)
	}
	if !(tol > 0) || math.IsInf(tol, 0) {
		return nil, fmt.Errorf("attribution: tolerance %v: want a positive finite standard error", tol)
	}
	if maxBudget > game.MaxBudget {
		return nil, fmt.Errorf("attribution: tolerance budget cap %d is more than the maximum of %d (MaxBudget)", maxBudget, game.MaxBudget)
	}
	budget := max(64, CalibratedKernelSHAPBudget(n), MinKernelSHAPBudget(n))
	if n <= MaxExactFeatures && 1<<n < budget {
		budget = 1 << n
	}
	if budget > maxBudget {
		return nil, fmt.Errorf("attribution: tolerance budget cap %d is below the %d evaluations of the first round for n = %d features", maxBudget, budget, n)
	}
	total, rounds := 0, 0
	for {
		rounds++
		a, err := KernelSHAP(ctx, g, KernelSHAPOptions{Budget: budget, Seed: seed + uint64(rounds-1)})
		if err != nil {
			return nil, err
		}
		total += a.Evaluations
		worst := 0.0
		for _, s := range a.StdErr {
			worst = math.Max(worst, s)
		}
		met := a.Diagnostics[DiagExact] == 1 ||
			(a.StdErr != nil && a.Diagnostics[DiagStdErrCalibrated] == 1 && worst < tol)
		next := 2 * budget
		if met || next > maxBudget {
			a.Evaluations = total
			a.Diagnostics[DiagToleranceRounds] = float64(rounds)
			a.Diagnostics[DiagMaxStdErr] = worst
			a.Diagnostics[DiagToleranceMet] = 0
			if met {
				a.Diagnostics[DiagToleranceMet] = 1
			}
			return a, nil
		}
		budget = next
		if n <= MaxExactFeatures && 1<<n < budget {
			budget = 1 << n
		}
	}
}
