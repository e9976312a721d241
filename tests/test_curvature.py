"""lrcourse.curvature against exact Hessians: quadratics, logistic regression, Rosenbrock,
and small MLPs whose exact spectra torch computed by automatic differentiation
(tests/golden/make_curvature_golden.py, compared live when torch is importable)."""
import json
from pathlib import Path

import numpy as np
import pytest

from lrcourse import curvature as cv, models, optimizers, problems

GOLDEN = json.loads((Path(__file__).parent / "golden" / "curvature.json").read_text())


class Indefinite:
    """f(x) = x^T A x / 2 for any symmetric A (lrcourse's Quadratic insists on A >= 0)."""

    def __init__(self, A):
        self.A, self.x0 = np.asarray(A, float), np.ones(len(A))

    def loss(self, x):
        return 0.5 * np.einsum("...i,ij,...j->...", x, self.A, x)

    def grad(self, x):
        return x @ self.A


def golden_mlp(case):
    rows = GOLDEN["rows"]
    import lrcourse.data as data
    d = data.load_digits()
    model = models.MLP(d.X[:rows] / 16.0, d.y[:rows], hidden=(case["hidden"],), activation=case["activation"],
                       batch_size=rows, l2=case["l2"], n_classes=10)
    return model, {k: np.array(v) for k, v in case["params"].items()}


@pytest.mark.parametrize("seed", range(4))
def test_quadratic_matches_the_largest_eigenvalue(seed):
    rng = np.random.default_rng(seed)
    eig = np.append(rng.uniform(0.1, 5, size=5), rng.uniform(6, 10))  # power iteration needs a gap
    q = problems.quadratic(eig, seed=seed)
    x = rng.standard_normal(6)
    assert cv.sharpness(q, x, tol=1e-8) == pytest.approx(eig.max(), rel=1e-9)


def test_indefinite_hessian_gives_the_top_not_the_largest_magnitude():
    A = np.diag([-5.0, 1.0, 0.2])
    assert cv.sharpness(Indefinite(A), tol=1e-8) == pytest.approx(1.0, rel=1e-8)
    assert cv.sharpness(Indefinite(-np.eye(3) * 2), tol=1e-8) == pytest.approx(-2.0, rel=1e-8)


def test_k_settings_each_get_their_own_answer():
    q = problems.quadratic([4.0, 1.0], angle=0.3)
    X = np.array([[1.0, 0.0], [0.0, 2.0], [3.0, -1.0]])
    got = cv.sharpness(q, X, tol=1e-8)
    assert got.shape == (3,) and np.allclose(got, 4.0, rtol=1e-9)
    r = problems.Rosenbrock()
    pts = np.array([[-1.2, 1.0], [1.0, 1.0], [0.3, -0.4]])
    want = [np.linalg.eigvalsh(r.hessian(p))[-1] for p in pts]
    assert np.allclose(cv.sharpness(r, pts, tol=1e-8), want, rtol=1e-6)


def test_logistic_regression_matches_its_exact_hessian():
    import lrcourse.data as data
    d = data.load_breast_cancer()
    X = (d.X - d.X.mean(0)) / d.X.std(0)
    m = models.LogisticRegression(X, d.y)
    w = np.random.default_rng(0).standard_normal(m.dim) * 0.3
    assert cv.sharpness(m, w, tol=1e-7) == pytest.approx(np.linalg.eigvalsh(m.hessian(w))[-1], rel=1e-6)


@pytest.mark.parametrize("case", GOLDEN["cases"], ids=[c["name"] for c in GOLDEN["cases"]])
def test_mlp_matches_torch_exact_hessian(case):
    model, p = golden_mlp(case)
    assert cv.sharpness(model, p, tol=1e-7) == pytest.approx(case["top"], rel=1e-6)


def test_mlp_k_settings_and_warm_start():
    case = GOLDEN["cases"][0]
    model, p = golden_mlp(case)
    stacked = {k: np.stack([a, 2 * a]) for k, a in p.items()}
    both = cv.sharpness(model, stacked, tol=1e-7)
    assert both[0] == pytest.approx(case["top"], rel=1e-6)
    assert both[1] == pytest.approx(cv.sharpness(model, {k: 2 * a for k, a in p.items()}, tol=1e-7), rel=1e-6)
    lam, vec = cv.sharpness(model, p, tol=1e-7, return_vector=True)
    hv = cv.hvp(model, p, vec)
    assert np.allclose(np.concatenate([hv[k].ravel() for k in p]),
                       lam * np.concatenate([vec[k].ravel() for k in p]), atol=1e-5 * lam)


def test_preconditioned_sharpness_is_the_top_eigenvalue_of_p_inverse_h():
    rng = np.random.default_rng(3)
    Q = rng.standard_normal((4, 4))
    A = Q @ Q.T + np.eye(4)
    p = rng.uniform(0.5, 3.0, size=4)
    want = np.max(np.linalg.eigvals(np.diag(1 / p) @ A).real)
    assert cv.sharpness(Indefinite(A), precondition=p, tol=1e-9) == pytest.approx(want, rel=1e-8)


def test_preconditioned_sharpness_with_a_dominant_negative_eigenvalue():
    rng = np.random.default_rng(5)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    A = (Q * np.array([1.0, 0.5, -0.2, -10.0])) @ Q.T
    p = np.array([1.0, 4.0, 0.25, 2.0])
    want = np.max(np.linalg.eigvalsh(np.diag(p ** -0.5) @ A @ np.diag(p ** -0.5)))  # = top of P^-1 A
    assert cv.sharpness(Indefinite(A), precondition=p, tol=1e-10, iters=5000) == pytest.approx(want, rel=1e-6)


def test_adam_preconditioner_and_edges():
    q = problems.quadratic([10.0, 1.0])
    opt = optimizers.adam(lr=0.01, betas=(0.9, 0.99), eps=1e-6)
    x, state = q.x0, opt.init(q.x0)
    for _ in range(5):
        x, state = opt.step(x, q.grad(x), state)
    P = cv.adam_preconditioner(state, betas=(0.9, 0.99), eps=1e-6)
    t = state["step"]
    want = (1 - 0.9**t) * (np.sqrt(state["exp_avg_sq"] / (1 - 0.99**t)) + 1e-6)
    assert np.allclose(P, want, rtol=1e-12)
    # Adam's step is lr * P^-1 m: check it against the optimizer itself
    x2, _ = opt.step(x, q.grad(x), state)
    _, s2 = opt.step(x, q.grad(x), state)
    P2 = cv.adam_preconditioner(s2, betas=(0.9, 0.99), eps=1e-6)
    assert np.allclose(x2, x - 0.01 * s2["exp_avg"] / P2, rtol=1e-12)
    assert cv.edge(0.1) == pytest.approx(20.0)
    assert cv.edge(0.1, "momentum", 0.9) == pytest.approx(38.0)
    assert cv.edge(0.1, "adam", 0.9) == pytest.approx(380.0)
    assert np.allclose(cv.edge(np.array([0.1, 0.2])), [20.0, 10.0])


def test_diverged_parameters_give_nan_and_quadratic_hvp_is_exact():
    q = problems.quadratic([3.0, 1.0])
    got = cv.sharpness(q, np.array([[1.0, 1.0], [np.nan, 1.0]]))
    assert got[0] == pytest.approx(3.0, rel=1e-6) and np.isnan(got[1])
    assert np.allclose(cv.hvp(q, np.array([5.0, -2.0]), np.array([1.0, 1.0])), [3.0, 1.0], rtol=1e-9)
    assert np.allclose(cv.hvp(q, q.x0, np.zeros(2)), 0.0)


@pytest.mark.parametrize("call, match", [
    (lambda: cv.sharpness(object()), "problem must have"),
    (lambda: cv.sharpness(problems.parabola(), np.ones(3)), "x"),
    (lambda: cv.sharpness(problems.quadratic([1.0, 2.0]), iters=0), "iters"),
    (lambda: cv.sharpness(problems.quadratic([1.0, 2.0]), precondition=np.array([1.0, -1.0])), "precondition"),
    (lambda: cv.sharpness(problems.quadratic([1.0, 2.0]), v0=np.zeros(2)), "v0"),
    (lambda: cv.adam_preconditioner({"step": 0, "exp_avg_sq": np.ones(2)}), "step"),
    (lambda: cv.adam_preconditioner([1, 2]), "state"),
    (lambda: cv.edge(0.0), "lr"),
    (lambda: cv.edge(0.1, "sgd"), "method"),
])
def test_bad_arguments_are_named(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_live_torch_spectrum_when_available():
    torch = pytest.importorskip("torch")
    import importlib.util
    spec = importlib.util.spec_from_file_location("mk", Path(__file__).parent / "golden" / "make_curvature_golden.py")
    mk = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mk)
    X, y = mk.digits(GOLDEN["rows"])
    for case in GOLDEN["cases"]:
        p = {k: np.array(v) for k, v in case["params"].items()}
        assert mk.torch_spectrum(X, y, p, case["activation"], case["l2"])[-1] == pytest.approx(case["top"], rel=1e-10)
