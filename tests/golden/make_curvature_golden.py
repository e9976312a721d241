"""Golden values for lrcourse.curvature: exact Hessian spectra of small MLPs, from torch 2.13.

Run from the repository root with torch installed (writes tests/golden/curvature.json)::

    /path/to/python-with-torch tests/golden/make_curvature_golden.py

The network is lrcourse.models.MLP's: logits = act(X W1 + b1) W2 + b2, loss = mean
cross-entropy + l2/2 (|W1|^2 + |W2|^2). torch builds the exact Hessian by automatic
differentiation (no finite differences) and its eigenvalues come from torch.linalg.eigvalsh.
Data: the first 40 rows of the digits set shipped with lrcourse (pixels divided by 16),
read from lrcourse/data/digits.npz with numpy only, so this script needs torch and numpy alone.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "curvature.json"
CASES = [  # (name, activation, hidden, l2, weight scale, seed)
    ("tanh_init", "tanh", 5, 0.0, 1.0, 1),
    ("tanh_large", "tanh", 5, 1e-3, 2.5, 2),
    ("relu_init", "relu", 6, 0.0, 1.0, 3),
]


def digits(rows=40):
    with np.load(HERE.parent.parent / "lrcourse" / "data" / "digits.npz") as f:
        X, y = f["pixels"][:rows].astype(float), f["labels"][:rows].astype(int)
    return X / 16.0, y


def params(d, h, c, scale, seed):
    rng = np.random.default_rng(seed)
    return {"W1": scale * rng.standard_normal((d, h)) / np.sqrt(d), "b1": 0.1 * rng.standard_normal(h),
            "W2": scale * rng.standard_normal((h, c)) / np.sqrt(h), "b2": 0.1 * rng.standard_normal(c)}


def torch_spectrum(X, y, p, activation, l2):
    import torch
    torch.set_default_dtype(torch.float64)
    keys = ["W1", "b1", "W2", "b2"]
    shapes = [p[k].shape for k in keys]
    sizes = [int(np.prod(s)) for s in shapes]
    flat0 = torch.tensor(np.concatenate([p[k].ravel() for k in keys]))
    Xt, yt = torch.tensor(X), torch.tensor(y)
    act = torch.tanh if activation == "tanh" else torch.relu

    def loss(flat):
        W1, b1, W2, b2 = (t.reshape(s) for t, s in zip(torch.split(flat, sizes), shapes))
        Z = act(Xt @ W1 + b1) @ W2 + b2
        return torch.nn.functional.cross_entropy(Z, yt) + 0.5 * l2 * ((W1 ** 2).sum() + (W2 ** 2).sum())

    H = torch.autograd.functional.hessian(loss, flat0)
    return torch.linalg.eigvalsh((H + H.T) / 2).numpy()


def main():
    X, y = digits()
    out = {"rows": len(y), "cases": []}
    for name, act, h, l2, scale, seed in CASES:
        p = params(X.shape[1], h, 10, scale, seed)
        ev = torch_spectrum(X, y, p, act, l2)
        out["cases"].append({"name": name, "activation": act, "hidden": h, "l2": l2,
                             "params": {k: a.tolist() for k, a in p.items()},
                             "top": float(ev[-1]), "second": float(ev[-2]), "bottom": float(ev[0])})
        print(f"{name}: top {ev[-1]:.6g}, second {ev[-2]:.6g}, bottom {ev[0]:.6g}")
    GOLDEN.write_text(json.dumps(out))


if __name__ == "__main__":
    main()
