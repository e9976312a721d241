"""Mutation bank of assignment 12 (see tests/bank/__init__.py for the format)."""
import functools

from . import define

_PS = functools.partial(define, "def polyak_step(loss, fstar, grad, eta_max=np.inf):")
_PP = functools.partial(define, "def performance_profile(times, taus):")
_CR = functools.partial(define, "def cooldown_rates(lr, total_steps, decay_steps, shape):")
_TR = functools.partial(define, "def train_without_tuning(problem, steps):")

# Polyak's step with the known minimum 0, one loss and one gradient per step (a right answer of Q4,
# and the skeleton of several wrong ones).
_POLYAK_LOOP = """
x = problem.x0
for _ in range(steps):
    f, g = problem.loss(x), problem.grad(x)
    n2 = float(g @ g)
    if f <= 0 or n2 < 1e-16:
        break
    x = x - f / n2 * g
return x
"""


def _fixed(make):
    """A Q4 answer that trains with one fixed optimizer from the library."""
    return _TR(f"""
opt = {make}
x = problem.x0
state = opt.init(x)
for _ in range(steps):
    x, state = opt.step(x, problem.grad(x), state)
return x
""")


BANK = {
    "polyak_step": {
        "wrong": {
            "norm_not_squared": _PS("""
g = np.asarray(grad, dtype=float)
n = np.linalg.norm(g)
if loss <= fstar or n < 1e-8:
    return 0.0
return min(eta_max, (loss - fstar) / n)
"""),
            "no_cap": _PS("""
g = np.asarray(grad, dtype=float)
n2 = np.sum(g * g)
if loss <= fstar or n2 < 1e-16:
    return 0.0
return (loss - fstar) / n2
"""),
            "fstar_ignored": _PS("""
g = np.asarray(grad, dtype=float)
n2 = np.sum(g * g)
if loss <= fstar or n2 < 1e-16:
    return 0.0
return min(eta_max, loss / n2)
"""),
            "negative_below_fstar": _PS("""
g = np.asarray(grad, dtype=float)
n2 = np.sum(g * g)
if n2 < 1e-16:
    return 0.0
return min(eta_max, (loss - fstar) / n2)
"""),
            "only_exact_zero_gradient": _PS("""
g = np.asarray(grad, dtype=float)
n2 = np.sum(g * g)
if loss <= fstar or n2 == 0:
    return 0.0
return min(eta_max, (loss - fstar) / n2)
"""),
            "no_zero_gradient_case": _PS("""
g = np.asarray(grad, dtype=float)
if loss <= fstar:
    return 0.0
return min(eta_max, (loss - fstar) / np.sum(g * g))
"""),
            "max_not_min": _PS("""
g = np.asarray(grad, dtype=float)
n2 = np.sum(g * g)
if loss <= fstar or n2 < 1e-16:
    return 0.0
return min(max(eta_max, (loss - fstar) / n2), 1e300)
"""),
            "spectral_norm_of_a_matrix": _PS("""
g = np.asarray(grad, dtype=float)
n = np.linalg.norm(g, 2) if g.ndim == 2 else np.linalg.norm(g)
if loss <= fstar or n < 1e-8:
    return 0.0
return min(eta_max, (loss - fstar) / n**2)
"""),
            "sps_constant_c_half": _PS("""
g = np.asarray(grad, dtype=float)
n2 = np.sum(g * g)
if loss <= fstar or n2 < 1e-16:
    return 0.0
return min(eta_max, (loss - fstar) / (0.5 * n2))
"""),
            "eps_in_denominator": _PS("""
g = np.asarray(grad, dtype=float)
n2 = np.sum(g * g)
if loss <= fstar or n2 < 1e-16:
    return 0.0
return min(eta_max, (loss - fstar) / (n2 + 1e-8))
"""),
            "squares_grad_in_place": _PS("""
g = np.asarray(grad, dtype=float)
g **= 2
n2 = g.sum()
if loss <= fstar or n2 < 1e-16:
    return 0.0
return min(eta_max, (loss - fstar) / n2)
"""),
            "cap_returned_without_gradient": _PS("""
g = np.asarray(grad, dtype=float)
n2 = np.sum(g * g)
if loss <= fstar:
    return 0.0
if n2 < 1e-16:
    return eta_max if np.isfinite(eta_max) else 0.0
return min(eta_max, (loss - fstar) / n2)
"""),
            "library_shortcut": _PS("""
g = np.asarray(grad, dtype=float)
opt = selftuning.polyak(fstar=fstar, eta_max=None if eta_max == np.inf else eta_max)
_, state = opt.step(np.zeros_like(g), g, opt.init(np.zeros_like(g)), loss=loss)
return float(state["step_size"])
"""),
            "tiny_test_on_squared_norm": _PS("""
n2 = float(np.sum(np.asarray(grad, dtype=float) ** 2))
if loss <= fstar or n2 < 1e-8:
    return 0.0
return min(eta_max, (loss - fstar) / n2)
"""),
            "tiny_test_on_largest_entry": _PS("""
g = np.asarray(grad, dtype=float)
if loss <= fstar or np.max(np.abs(g)) < 1e-8:
    return 0.0
return min(eta_max, (loss - fstar) / float(np.sum(g * g)))
"""),
            "calls_the_checks_reference": _PS("""
return ex12._polyak(loss, fstar, grad, eta_max)
"""),
        },
        "right": {
            "norm_squared": _PS("""
norm = np.linalg.norm(np.ravel(grad))
if loss <= fstar or norm < 1e-8:
    return 0.0
return min(eta_max, (loss - fstar) / norm**2)
"""),
            "vdot": _PS("""
g = np.asarray(grad, dtype=float)
n2 = np.vdot(g, g)
gap = loss - fstar
if gap <= 0 or n2 < 1e-16:
    return 0.0
return float(np.minimum(eta_max, gap / n2))
"""),
            "python_loop": _PS("""
total = 0.0
for value in np.ravel(grad):
    total += float(value) ** 2
if not loss > fstar:
    return 0.0
if total ** 0.5 < 1e-8:
    return 0.0
step = (loss - fstar) / total
return eta_max if step > eta_max else step
"""),
            "clip_then_guard": _PS("""
g = np.asarray(grad, dtype=float).reshape(-1)
n2 = g @ g
step = 0.0 if n2 < 1e-16 else max(loss - fstar, 0.0) / n2
return float(np.clip(step, 0.0, eta_max))
"""),
        },
    },
    "performance_profile": {
        "wrong": {
            "max_not_min": _PP("""
t = np.asarray(times, dtype=float)
best = np.where(np.isfinite(t), t, 0.0).max(axis=0)
with np.errstate(divide="ignore", invalid="ignore"):
    r = np.where(best > 0, t / best, np.inf)
return (r[:, :, None] <= np.asarray(taus, dtype=float)).mean(axis=1)
"""),
            "nobody_solved_counts_as_solved": _PP("""
t = np.nan_to_num(np.asarray(times, dtype=float))
r = t / t.min(axis=0)
return (r[:, :, None] <= np.asarray(taus, dtype=float)).mean(axis=1)
"""),
            "denominator_only_solved_workloads": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=0)
keep = np.isfinite(best)
r = t[:, keep] / best[keep]
return (r[:, :, None] <= np.asarray(taus, dtype=float)).mean(axis=1)
"""),
            "strictly_less": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=0)
with np.errstate(invalid="ignore"):
    r = np.where(np.isinf(best), np.inf, t / best)
return (r[:, :, None] < np.asarray(taus, dtype=float)).mean(axis=1)
"""),
            "ratio_inverted": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=0)
with np.errstate(invalid="ignore"):
    r = np.where(np.isinf(best), 0.0, best / t)
return (r[:, :, None] <= np.asarray(taus, dtype=float)).mean(axis=1)
"""),
            "best_per_method_not_per_workload": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=1, keepdims=True)
with np.errstate(invalid="ignore"):
    r = np.where(np.isinf(best), np.inf, t / best)
return (r[:, :, None] <= np.asarray(taus, dtype=float)).mean(axis=1)
"""),
            "counts_not_fractions": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=0)
with np.errstate(invalid="ignore"):
    r = np.where(np.isinf(best), np.inf, t / best)
return (r[:, :, None] <= np.asarray(taus, dtype=float)).sum(axis=1).astype(float)
"""),
            "transposed": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=0)
with np.errstate(invalid="ignore"):
    r = np.where(np.isinf(best), np.inf, t / best)
return (r[:, :, None] <= np.asarray(taus, dtype=float)).mean(axis=1).T
"""),
            "integer_ratio": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=0)
with np.errstate(invalid="ignore"):
    r = np.where(np.isinf(best), np.inf, t // best)
return (r[:, :, None] <= np.asarray(taus, dtype=float)).mean(axis=1)
"""),
            "difference_not_ratio": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=0)
with np.errstate(invalid="ignore"):
    r = np.where(np.isinf(best), np.inf, t - best + 1)
return (r[:, :, None] <= np.asarray(taus, dtype=float)).mean(axis=1)
"""),
            "replaces_inf_in_place": _PP("""
t = np.asarray(times, dtype=float)
t[np.isinf(t)] = 1e300
best = t.min(axis=0)
r = np.where(best >= 1e300, np.inf, t / best)
return (r[:, :, None] <= np.asarray(taus, dtype=float)).mean(axis=1)
"""),
            "library_shortcut": _PP("""
from lrcourse import benchmark
return benchmark.performance_profile(times, taus)
"""),
            "assumes_sorted_taus": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=0)
r = np.where(np.isfinite(best), t / np.where(np.isfinite(best), best, 1.0), np.inf)
first = np.searchsorted(np.asarray(taus, dtype=float), r, side="left")
return (first[:, :, None] <= np.arange(len(taus))).mean(axis=1)
"""),
            "integer_division_for_int_tables": _PP("""
t = np.asarray(times)
best = t.min(axis=0)
ok = np.isfinite(best)
r = np.full_like(t, np.inf)
r[:, ok] = t[:, ok] / best[ok]
return (r[:, :, None] <= np.asarray(taus, dtype=float)).mean(axis=1)
"""),
            "tolerance_on_tau": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=0)
r = np.where(np.isfinite(best), t / np.where(np.isfinite(best), best, 1.0), np.inf)
return (r[:, :, None] <= np.asarray(taus, dtype=float) * 1.001).mean(axis=1)
"""),
        },
        "right": {
            "loops": _PP("""
t = np.asarray(times, dtype=float)
M, W = t.shape
rho = np.zeros((M, len(taus)))
for w in range(W):
    best = min(t[:, w])
    if best == np.inf:
        continue
    for m in range(M):
        for j, tau in enumerate(taus):
            if t[m, w] / best <= tau:
                rho[m, j] += 1
return rho / W
"""),
            "nan_compares_false": _PP("""
t = np.asarray(times, dtype=float)
with np.errstate(invalid="ignore"):
    r = t / t.min(axis=0)           # inf / inf = nan, and nan <= tau is False
return np.stack([np.mean(r <= tau, axis=1) for tau in taus], axis=1)
"""),
            "product_form": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=0)
solved = np.isfinite(best)
ok = (t[:, :, None] <= np.asarray(taus, dtype=float) * best[None, :, None]) & solved[None, :, None]
return ok.sum(axis=1) / t.shape[1]
"""),
            "sorted_ratios": _PP("""
t = np.asarray(times, dtype=float)
best = t.min(axis=0)
r = np.full_like(t, np.inf)
r[:, np.isfinite(best)] = t[:, np.isfinite(best)] / best[np.isfinite(best)]
r.sort(axis=1)
counts = np.array([np.searchsorted(row, taus, side="right") for row in r])
return counts / t.shape[1]
"""),
        },
    },
    "cooldown_rates": {
        "wrong": {
            "sqrt_of_one_minus_u": _CR("""
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
t = np.arange(total_steps + 1)
D = total_steps - decay_steps
u = np.clip((t - D) / max(decay_steps, 1), 0, 1)
u[-1] = 1.0
c = 1 - u if shape == "linear" else np.sqrt(1 - u)
return np.where(t < D, float(lr), lr * c)
"""),
            "one_step_late": _CR("""
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
t = np.arange(total_steps + 1)
D = total_steps - decay_steps
u = np.clip((t - D - 1) / max(decay_steps - 1, 1), 0, 1)
u[-1] = 1.0
c = 1 - u if shape == "linear" else 1 - np.sqrt(u)
return lr * c
"""),
            "total_steps_values": _CR("""
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
t = np.arange(total_steps)
D = total_steps - decay_steps
u = np.clip((t - D) / max(decay_steps, 1), 0, 1)
c = 1 - u if shape == "linear" else 1 - np.sqrt(u)
return lr * c
"""),
            "shape_ignored": _CR("""
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
t = np.arange(total_steps + 1)
D = total_steps - decay_steps
u = np.clip((t - D) / max(decay_steps, 1), 0, 1)
u[-1] = 1.0
return lr * (1 - u)
"""),
            "unknown_shape_is_linear": _CR("""
t = np.arange(total_steps + 1)
D = total_steps - decay_steps
u = np.clip((t - D) / max(decay_steps, 1), 0, 1)
u[-1] = 1.0
c = 1 - np.sqrt(u) if shape == "1-sqrt" else 1 - u
return lr * c
"""),
            "divides_by_zero_without_cooldown": _CR("""
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
t = np.arange(total_steps + 1)
D = total_steps - decay_steps
u = np.clip((t - D) / decay_steps, 0, 1)
c = 1 - u if shape == "linear" else 1 - np.sqrt(u)
return lr * c
"""),
            "reaches_zero_a_step_early": _CR("""
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
t = np.arange(total_steps + 1)
D = total_steps - decay_steps
u = np.clip((t - D) / max(decay_steps - 1, 1), 0, 1)
u[-1] = 1.0
c = 1 - u if shape == "linear" else 1 - np.sqrt(u)
return lr * c
"""),
            "squares_instead_of_root": _CR("""
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
t = np.arange(total_steps + 1)
D = total_steps - decay_steps
u = np.clip((t - D) / max(decay_steps, 1), 0, 1)
u[-1] = 1.0
c = 1 - u if shape == "linear" else 1 - u**2
return lr * c
"""),
            "integer_division": _CR("""
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
t = np.arange(total_steps + 1)
D = total_steps - decay_steps
left = np.minimum(total_steps - t, max(decay_steps, 1))
if shape == "linear":
    return lr * left // max(decay_steps, 1) * 1.0
u = 1 - left / max(decay_steps, 1)
return lr * (1 - np.sqrt(u))
"""),
            "no_zero_without_cooldown": _CR("""
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
if decay_steps == 0:
    return np.full(total_steps + 1, float(lr))
t = np.arange(total_steps + 1)
D = total_steps - decay_steps
u = np.clip((t - D) / decay_steps, 0, 1)
c = 1 - u if shape == "linear" else 1 - np.sqrt(u)
return lr * c
"""),
            "one_step_early": _CR("""
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
t = np.arange(total_steps + 1)
D = total_steps - decay_steps
u = np.clip((t - D + 1) / max(decay_steps, 1), 0, 1)
c = 1 - u if shape == "linear" else 1 - np.sqrt(u)
return lr * c
"""),
            "library_shortcut": _CR("""
return schedules.wsd(lr, total_steps, 0, decay_steps, shape=shape)(np.arange(total_steps + 1))
"""),
            "guesses_the_shape_from_a_substring": _CR("""
shape = str(shape).lower()
t = np.arange(total_steps + 1)
D = total_steps - decay_steps
u = np.clip((t - D) / max(decay_steps, 1), 0, 1)
c = 1 - np.sqrt(u) if "sqrt" in shape else 1 - u
return np.where(t < total_steps, lr * np.where(t < D, 1.0, c), 0.0)
"""),
            "no_shape_check_without_cooldown": _CR("""
t = np.arange(total_steps + 1)
if decay_steps == 0:
    return np.where(t < total_steps, float(lr), 0.0)
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
D = total_steps - decay_steps
u = np.clip((t - D) / decay_steps, 0, 1)
return lr * np.where(t < D, 1.0, 1 - np.sqrt(u) if shape == "1-sqrt" else 1 - u)
"""),
        },
        "right": {
            "python_loop": _CR("""
if shape == "linear":
    c = lambda u: 1 - u
elif shape == "1-sqrt":
    c = lambda u: 1 - u ** 0.5
else:
    raise ValueError("unknown shape " + str(shape))
D = total_steps - decay_steps
rates = []
for t in range(total_steps + 1):
    if t < D:
        rates.append(lr)
    elif t == total_steps:
        rates.append(0.0)
    else:
        rates.append(lr * c((t - D) / decay_steps))
return np.array(rates, dtype=float)
"""),
            "minimum_of_remaining": _CR("""
if shape not in {"linear", "1-sqrt"}:
    raise ValueError(f"bad shape {shape}")
t = np.arange(total_steps + 1)
left = (total_steps - t) / decay_steps if decay_steps else (t < total_steps).astype(float)
frac = np.minimum(1.0, left)              # 1 before the cool-down, then 1 - u
return lr * (frac if shape == "linear" else 1 - np.sqrt(1 - frac))
"""),
            "concatenate_phases": _CR("""
if shape not in ("linear", "1-sqrt"):
    raise ValueError(shape)
D = total_steps - decay_steps
if decay_steps == 0:
    return np.append(np.full(total_steps, float(lr)), 0.0)
u = np.arange(decay_steps + 1) / decay_steps
tail = 1 - u if shape == "linear" else 1 - np.sqrt(u)
return np.concatenate([np.full(D, float(lr)), lr * tail])
"""),
            "linspace_table": _CR("""
shapes = {"linear": lambda u: 1 - u, "1-sqrt": lambda u: 1 - np.sqrt(u)}
if shape not in shapes:
    raise ValueError(shape)
out = np.full(total_steps + 1, float(lr))
out[total_steps - decay_steps:] = lr * shapes[shape](np.linspace(0.0, 1.0, decay_steps + 1))
out[-1] = 0.0                              # also when decay_steps = 0
return out
"""),
        },
    },
    "train_without_tuning": {
        "wrong": {
            "fixed_sgd": _fixed("optimizers.sgd(0.01)"),
            "fixed_sgd_large": _fixed("optimizers.sgd(1.0)"),
            "fixed_adam": _fixed("optimizers.adam(0.1)"),
            "fixed_adam_large": _fixed("optimizers.adam(1.0)"),
            "dog_last_iterate": _fixed("selftuning.dog()"),
            "schedule_free_adamw_defaults": _TR("""
opt = selftuning.adamw_schedulefree()
x = problem.x0
state = opt.init(x)
for _ in range(steps):
    x, state = opt.step(x, problem.grad(x), state)
return opt.eval_params(x, state)
"""),
            "normalised_gradient_fixed_length": _TR("""
x = problem.x0
for _ in range(steps):
    g = problem.grad(x)
    x = x - 0.1 * g / max(np.linalg.norm(g), 1e-300)
return x
"""),
            "grid_of_restarts_over_budget": _TR("""
best_x, best_f = problem.x0, problem.loss(problem.x0)
for lr in [1e-3, 1e-2, 1e-1, 1.0]:
    x = problem.x0
    for _ in range(steps // 4):
        x = x - lr * problem.grad(x)
    f = problem.loss(x)
    if f < best_f:
        best_x, best_f = x, f
x = best_x
for _ in range(steps // 4):
    x = x - 1e-2 * problem.grad(x)
return x
"""),
            "line_search_without_budget": _TR("""
x, eta = problem.x0, 1.0
f = problem.loss(x)
for _ in range(steps):
    g = problem.grad(x)
    eta *= 2
    while problem.loss(x - eta * g) > f - 0.5 * eta * (g @ g):
        eta /= 2
    x = x - eta * g
    f = problem.loss(x)
return x
"""),
            "polyak_plus_a_final_loss_call": _TR(_POLYAK_LOOP.replace("return x", "print('final loss', problem.loss(x))\nreturn x")),
            "polyak_with_fstar_from_the_start_loss": _TR("""
x = problem.x0
fstar = 0.5 * problem.loss(x)
for _ in range(steps - 1):
    f, g = problem.loss(x), problem.grad(x)
    n2 = g @ g
    if f <= fstar or n2 < 1e-16:
        break
    x = x - (f - fstar) / n2 * g
return x
"""),
            "batch_of_rates_in_one_call": _TR("""
lrs = 10.0 ** np.arange(-4, 2)
X = np.tile(problem.x0, (len(lrs), 1))
for _ in range(steps):
    X = X - lrs[:, None] * problem.grad(X)
return X[0]
"""),
            "curvature_measured_once_at_the_start": _TR("""
x = problem.x0
g = problem.grad(x)
d = 1e-4 * max(np.linalg.norm(x), 1e-8) * g / max(np.linalg.norm(g), 1e-300)
L = np.linalg.norm(problem.grad(x + d) - g) / np.linalg.norm(d)   # a secant estimate of the curvature
for _ in range(steps - 2):
    x = x - g / L
    g = problem.grad(x)
return x
"""),
            "adam_scaled_by_the_start": _TR("""
x = problem.x0
opt = optimizers.adam(0.1 * max(np.linalg.norm(x), 1e-12))
state = opt.init(x)
for _ in range(steps):
    x, state = opt.step(x, problem.grad(x), state)
return x
"""),
            "returns_the_loss": _TR(_POLYAK_LOOP.replace("return x", "return float(f)")),
            "raw_functions_from_the_closure": _TR("""
cells = [c.cell_contents for c in problem.grad.__closure__]
raw = next(c for c in cells if callable(c))
x = problem.x0
for _ in range(50 * steps):
    x = x - 1e-3 * raw(x)
return x
"""),
            "grid_of_runs_on_copies": _TR("""
import copy
best_x, best_f = problem.x0, None
for lr in [1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0]:
    p = copy.copy(problem)
    x = p.x0
    for _ in range(steps - 1):
        x = x - lr * p.grad(x)
    f = p.loss(x)
    if best_f is None or f < best_f:
        best_x, best_f = x, f
return best_x
"""),
            "changes_the_checks_target": _TR("""
ex12.TARGET = 10.0
return problem.x0
"""),
            "replays_the_graders_seed": _TR("""
rng = ex12.case_rng("train_without_tuning", True)
return problem.x0
"""),
        },
        "right": {
            "polyak_own_loop": _TR(_POLYAK_LOOP),
            "armijo_within_budget": _TR("""
x, eta = problem.x0, 1.0
f = problem.loss(x)
loss_calls, grad_calls = 1, 0
while grad_calls < steps and loss_calls < steps:
    g = problem.grad(x)
    grad_calls += 1
    eta *= 2.0                                  # let the step grow again
    while loss_calls < steps:
        trial = x - eta * g
        f_trial = problem.loss(trial)
        loss_calls += 1
        if f_trial <= f - 0.5 * eta * (g @ g):  # Armijo's sufficient decrease
            x, f = trial, f_trial
            break
        eta *= 0.5
return x
"""),
            "sps_constant_c1": _TR("""
opt = selftuning.sps(c=1.0, eps=0.0, adapt_flag="constant", fstar=0.0)
x = problem.x0
state = opt.init(x)
for _ in range(steps):
    x, state = opt.step(x, problem.grad(x), state, loss=problem.loss(x))
return x
"""),
            "polyak_keeps_best_iterate": _TR("""
opt = selftuning.polyak()
x = problem.x0
state = opt.init(x)
best_x, best_f = x, np.inf
for _ in range(steps):
    f = problem.loss(x)
    if f < best_f:
        best_x, best_f = x, f
    x, state = opt.step(x, problem.grad(x), state, loss=f)
return best_x
"""),
        },
    },
}
