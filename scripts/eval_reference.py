#!/usr/bin/python3
"""Reference vectors for detector/eval/metrics.

Computes Gaussian smoothing (scipy.ndimage.gaussian_filter1d), min-max
normalisation and ROC-AUC (sklearn.metrics.roc_curve + auc) on a fixed set of
score/label vectors and writes them, with the inputs, to
detector/eval/metrics/testdata/reference.json. The Go tests check that the Go
implementation agrees to 1e-9.

Run with Debian's interpreter and packages (python3-scipy, python3-sklearn,
installed by scripts/setup.sh):

    /usr/bin/python3 scripts/eval_reference.py

The inputs come from a seeded generator, so rerunning reproduces the file
byte for byte on the same library versions (recorded in the output).
"""

import json
import os
import sys

import numpy as np
import scipy
import scipy.ndimage
import sklearn
from sklearn.metrics import auc, roc_auc_score, roc_curve

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                   "detector", "eval", "metrics", "testdata", "reference.json")


def floats(a):
    return [float(v) for v in a]


def gaussian_cases(rng):
    cases = []
    inputs = {
        "single": np.array([0.7]),
        "pair": np.array([0.0, 1.0]),
        "step5": np.array([0.0, 0.0, 1.0, 1.0, 1.0]),
        "constant": np.full(40, 0.3),
        "random50": rng.random(50),
        "segments": np.repeat(rng.random(12), 24),
        "impulse": np.eye(1, 31, 15)[0],
        "random300": rng.random(300),
    }
    sigmas = [0.5, 1.0, 2.5, 3.0, 7.0, 15.0, 29.0, 100.0]
    for name, x in inputs.items():
        for s in sigmas:
            y = scipy.ndimage.gaussian_filter1d(x, s)
            cases.append({"name": f"{name}/sigma={s}", "x": floats(x),
                          "sigma": s, "want": floats(y)})
    return cases


def roc_auc(labels, scores):
    fpr, tpr, _ = roc_curve(labels, scores, drop_intermediate=True)
    return fpr, tpr, auc(fpr, tpr)


def auc_cases(rng):
    cases = []

    def add(name, scores, labels):
        scores = np.asarray(scores, dtype=float)
        labels = np.asarray(labels, dtype=int)
        case = {"name": name, "scores": floats(scores),
                "labels": [int(v) for v in labels]}
        try:
            roc_auc_score(labels, scores)
        except ValueError as e:
            case["error"] = str(e)
            cases.append(case)
            return
        fpr, tpr, a = roc_auc(labels, scores)
        case["auc"] = float(a)
        if len(fpr) <= 500:  # keep the file small; long curves check the AUC only
            case.update({"fpr": floats(fpr), "tpr": floats(tpr)})
        cases.append(case)

    add("tiny", [0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])
    add("perfect", [0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])
    add("inverted", [0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])
    add("constant", np.full(30, 0.5), rng.random(30) < 0.3)
    add("all ties but one", [0.5] * 9 + [0.9], [0, 1, 0, 1, 0, 0, 1, 0, 0, 1])
    lab = rng.random(400) < 0.2
    add("ties rounded", np.round(rng.random(400) * 0.6 + 0.4 * lab, 1), lab)
    lab = rng.random(1000) < 0.1
    add("continuous", rng.random(1000) + 0.5 * lab, lab)
    # Segment-constant scores: long runs of ties, as the protocol produces.
    seg = np.repeat(np.round(rng.random(40), 1), 24)
    lab = np.zeros(960, dtype=bool)
    lab[200:330] = True
    lab[700:760] = True
    add("segment ties", seg, lab)
    lab = rng.random(4000) < 0.05
    add("long", rng.random(4000) * 0.8 + 0.3 * lab, lab)
    add("single class negative", rng.random(10), np.zeros(10))
    add("single class positive", rng.random(10), np.ones(10))
    return cases


def minmax_cases(rng):
    cases = []
    for name, x in {"random": rng.random(25) * 3 - 1,
                    "negative": -rng.random(10)}.items():
        lo, hi = x.min(), x.max()
        cases.append({"name": name, "x": floats(x),
                      "want": floats((x - lo) / (hi - lo))})
    return cases


def pipeline_cases(rng):
    """The protocol's chain on a fake concatenation: segment scores → smooth
    → min-max → AUC."""
    cases = []
    for sigma in [1.0, 5.0, 29.0]:
        seg = np.repeat(rng.random(50), 24)
        lab = np.zeros(seg.size, dtype=bool)
        lab[300:500] = True
        lab[1000:1100] = True
        sm = scipy.ndimage.gaussian_filter1d(seg, sigma)
        lo, hi = sm.min(), sm.max()
        nm = (sm - lo) / (hi - lo)
        cases.append({"name": f"sigma={sigma}", "x": floats(seg),
                      "labels": [int(v) for v in lab], "sigma": sigma,
                      "normalised": floats(nm),
                      "auc": float(roc_auc_score(lab, nm))})
    return cases


def main():
    rng = np.random.default_rng(20250304)
    doc = {
        "generator": "scripts/eval_reference.py",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__,
                     "scipy": scipy.__version__, "sklearn": sklearn.__version__},
        "gaussian": gaussian_cases(rng),
        "auc": auc_cases(rng),
        "minmax": minmax_cases(rng),
        "pipeline": pipeline_cases(rng),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
