package shapley

// binomial returns C(n, k) as a float64. The multiplicative recurrence
// C(n, j+1) = C(n, j)·(n−j)/(j+1) keeps every intermediate an integer, so the
// result is exact while it stays below 2^53 (all n ≤ 50) and within a few ulps
// beyond, where float64 still holds it (n up to about 1,000).
func binomial(n, k int) float64 {
	if k < 0 || k > n {
		return 0
	}
	if k > n-k {
		k = n - k
	}
	c := 1.0
	for j := 0; j < k; j++ {
		c = c * float64(n-j) / float64(j+1)
	}
	return c
}

// shapleyWeights returns w[s] = s!(n−s−1)!/n! for s = 0..n−1: the weight of
// the marginal contribution v(S∪{i}) − v(S) for |S| = s in the Shapley value.
// It is computed as 1/(n·C(n−1, s)) rather than from factorials, which
// overflow float64 beyond n = 170 and lose digits long before.
func shapleyWeights(n int) []float64 {
	w := make([]float64, n)
	for s := range n {
		w[s] = 1 / (float64(n) * binomial(n-1, s))
	}
	return w
}

// kernelSizeWeight returns the Shapley kernel's total weight on all
// coalitions of size s (0 < s < n), (n−1)/(s(n−s)); one coalition of that
// size weighs this divided by C(n, s). These are the weights under which the
// efficiency-constrained weighted least-squares fit of an additive model
// reproduces the Shapley values exactly (Lundberg and Lee, 2017).
func kernelSizeWeight(n, s int) float64 {
	return float64(n-1) / (float64(s) * float64(n-s))
}

// ShapleyWeights is shapleyWeights for the published baselines in
// bench/baselines (RegressionMSR's Monte Carlo correction): w[s] =
// s!(n−s−1)!/n! for s = 0..n−1.
func ShapleyWeights(n int) []float64 { return shapleyWeights(n) }
