"""Writes lime_reference.json, the fixture of TestLIMEMatchesReference.

It draws samples the way lime's LimeTextExplainer does (sample 0 keeps every
word; each other sample removes randint(1, n + 1) words chosen without
replacement), labels them with a fixed nonlinear game, and fits the surrogate
the way lime's LimeBase does with scikit-learn itself: cosine distances to
the original times 100, the kernel sqrt(exp(-d^2 / width^2)), feature
selection ("none", "forward_selection" with Ridge(alpha=0) and R^2,
"highest_weights" with Ridge(alpha=0.01), "auto"), then Ridge(alpha=1,
fit_intercept=True) with sample weights, its weighted R^2 score and its
prediction at the original. The Go test refits the same samples and compares.

Run with Debian's python3 and python3-sklearn (1.2):
    /usr/bin/python3 lime_reference.py > lime_reference.json
"""
import json

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.metrics.pairwise import pairwise_distances


def game(x, w, pairs):
    z = 0.3 + x @ w
    for i, j, u in pairs:
        z = z + u * x[:, i] * x[:, j]
    return 1 / (1 + np.exp(-z))


def sample(rng, n, num_samples):
    data = np.ones((num_samples, n))
    sizes = rng.randint(1, n + 1, num_samples - 1)
    for row, size in enumerate(sizes, start=1):
        data[row, rng.choice(range(n), size, replace=False)] = 0
    return data


def select(data, labels, weights, num, method):
    n = data.shape[1]
    if method == "auto":
        method = "forward_selection" if num <= 6 else "highest_weights"
    if method == "none":
        return list(range(n))
    if method == "highest_weights":
        coef = Ridge(alpha=0.01, fit_intercept=True).fit(data, labels, sample_weight=weights).coef_
        order = sorted(range(n), key=lambda i: abs(coef[i] * data[0, i]), reverse=True)
        return order[:num]
    used = []
    for _ in range(min(num, n)):
        best, best_score = 0, -1e8
        for f in range(n):
            if f in used:
                continue
            cols = used + [f]
            m = Ridge(alpha=0, fit_intercept=True).fit(data[:, cols], labels, sample_weight=weights)
            s = m.score(data[:, cols], labels, sample_weight=weights)
            if s > best_score:
                best, best_score = f, s
        used.append(best)
    return used


def case(seed, n, num_samples, width, method, num):
    rng = np.random.RandomState(seed)
    w = rng.normal(0, 1.0, n)
    pairs = [(0, 1, 1.5), (2, n - 1, -1.0)] if n >= 3 else []
    data = sample(rng, n, num_samples)
    labels = game(data, w, pairs)
    d = pairwise_distances(data, data[0:1], metric="cosine").ravel() * 100
    weights = np.sqrt(np.exp(-(d ** 2) / width ** 2))
    used = select(data, labels, weights, num, method)
    model = Ridge(alpha=1, fit_intercept=True).fit(data[:, used], labels, sample_weight=weights)
    coef = [0.0] * n
    for k, i in enumerate(used):
        coef[i] = float(model.coef_[k])
    return {
        "n": n,
        "width": width,
        "method": method,
        "num_features": num,
        "rows": ["".join(str(int(v)) for v in row) for row in data],
        "labels": labels.tolist(),
        "weights": weights.tolist(),
        "used": [int(i) for i in used],
        "coef": coef,
        "intercept": float(model.intercept_),
        "score": float(model.score(data[:, used], labels, sample_weight=weights)),
        "local_prediction": float(model.predict(data[0:1, used])[0]),
    }


cases = [
    case(1, 8, 200, 25, "none", 8),
    case(2, 8, 200, 25, "forward_selection", 3),
    case(3, 8, 200, 25, "highest_weights", 4),
    case(4, 8, 200, 25, "auto", 3),
    case(5, 10, 250, 25, "auto", 7),
    case(6, 12, 300, 50, "none", 12),
    case(7, 3, 60, 25, "none", 3),
    case(8, 1, 20, 25, "none", 1),
]
print(json.dumps({"generator": "lime_reference.py", "cases": cases}, separators=(",", ":")))
