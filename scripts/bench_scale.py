"""How the dual-net's cost per training batch grows with the number of features ``d``.

Times whole training batches of ``fir.training.train_dual_net`` (operator step, selector step
every 8 batches, optimal-mask search and validation in Phase II: the real loop) at ``s = 50`` and
``d = 1,000 ... 100,000``, with the operator's first layer gathered (its forward and backward
passes follow ``s``), gathered with the lazy first-layer update (``lazy_first_layer``: its
optimiser step follows ``s`` too) and dense (follows ``d``). Synthetic classification data
(n = 800, 5 classes, a few informative columns, the rest noise); the RNA-seq architecture of
``conf/dataset_method/rnaseq_dualnet.yaml`` by default, or the XOR one (``--arch xor``).

Each repetition builds fresh nets, runs a warm-up window (not timed), then times one Phase I
window and two Phase II windows (24 batches). Repetitions go round-robin over the
configurations, so that the load of a shared machine falls on all of them alike; the tables give
the median and the minimum over repetitions.

    python scripts/bench_scale.py                            # CPU, 1 thread, docs/bench/
    python scripts/bench_scale.py --device cuda --precision bf16-mixed
    python scripts/bench_scale.py --profile                  # + where the time goes (profiler)
    python scripts/bench_scale.py --rnaseq                   # estimate (and maybe run) RNA-seq
    python scripts/bench_scale.py --rnaseq --lazy            # the same with lazy_first_layer
"""

from __future__ import annotations

import argparse
import csv
import gc
import os
import platform
import statistics
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
import torch
from omegaconf import OmegaConf

import fir.training
from fir.nets import OperatorConfig, SelectorMLP, build_operator
from fir.optim import FlatOptimizer
from fir.repro import resolve_device
from fir.training import TrainConfig, train_dual_net

ROOT = Path(__file__).resolve().parents[1]
ARCH_FILES = {"rnaseq": "rnaseq_dualnet.yaml", "xor": "xor_dualnet.yaml"}
TRAIN_KEYS = (
    "batch_size", "mask_batch_size", "exploit_fraction", "n_flips", "selector_period",
    "search_steps", "val_period", "patience", "val_masks", "selector_loss", "selector_weights",
)  # fmt: skip
NET_KEYS = (
    "operator_hidden", "selector_hidden", "operator_activation", "selector_activation",
    "operator_optimizer", "operator_lr", "selector_optimizer", "selector_lr",
)  # fmt: skip
LIST_KEYS = ("operator_hidden", "selector_hidden", "selector_weights")
CSV_COLUMNS = (
    "device", "threads", "arch", "precision", "d", "s", "mode", "status", "ms_median", "ms_min",
    "n_reps", "ratio_to_d1000", "dense_over_gathered", "note",
)  # fmt: skip
N_SAMPLES, N_CLASSES, N_INFORMATIVE, VAL_FRACTION = 800, 5, 10, 0.2
PHASE1_WINDOWS, PHASE2_WINDOWS = 1, 2
BYTES_PER_PARAM = 4 * 6  # float32 weights, gradient, two moments, a temporary, a best copy


def method_params(arch: str) -> dict:
    """The dual-net's arguments for ``arch``: conf/method/dualnet.yaml + the dataset's file."""
    base = OmegaConf.load(ROOT / "conf/method/dualnet.yaml").selector
    delta = OmegaConf.load(ROOT / "conf/dataset_method" / ARCH_FILES[arch]).method.selector
    merged = OmegaConf.merge(base, delta)
    keys = (*TRAIN_KEYS, *NET_KEYS, "phase2_start", "max_batches")
    return {k: OmegaConf.to_object(merged[k]) if k in LIST_KEYS else merged[k] for k in keys}


def make_data(n: int, d: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples, ``d`` standard-normal columns; the first ``N_INFORMATIVE`` carry a
    class-dependent shift (the known relevant features), the rest are noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(N_CLASSES, size=n)
    X = rng.standard_normal((n, d), dtype=np.float32)
    centroids = rng.normal(scale=1.5, size=(N_CLASSES, N_INFORMATIVE)).astype(np.float32)
    X[:, :N_INFORMATIVE] += centroids[y]
    return X, y


@dataclass(frozen=True)
class Config:
    d: int
    mode: str  # "gathered", "lazy" (gathered + lazy update), "dense" or "dense_fused"

    @property
    def gather(self) -> bool:
        return not self.mode.startswith("dense")

    @property
    def fused(self) -> bool:
        """The hand-written operator step (fir.fused; fir-run's CPU default when dense)."""
        return self.mode == "dense_fused"

    @property
    def lazy(self) -> bool:
        return self.mode == "lazy"


def build(cfg: Config, params: dict, data, device: torch.device, seed: int):
    """Fresh operator, selector and optimisers (initialised as ``DualNetSelector.fit`` does)."""
    gen = torch.Generator(device=device).manual_seed(seed)
    op_cfg = OperatorConfig(
        n_features=cfg.d,
        n_outputs=N_CLASSES,
        hidden=tuple(params["operator_hidden"]),
        activation=params["operator_activation"],
    )
    operator = build_operator(op_cfg).to(device)
    selector = SelectorMLP(
        cfg.d, tuple(params["selector_hidden"]), params["selector_activation"]
    ).to(device)
    operator.reset_parameters(gen)
    selector.reset_parameters(gen)
    op_opt = FlatOptimizer(
        operator.parameters(),
        params["operator_optimizer"],
        params["operator_lr"],
        lazy=(operator.first.weight_x, operator.first.weight_m) if cfg.lazy else (),
    )
    sel_opt = FlatOptimizer(
        selector.parameters(), params["selector_optimizer"], params["selector_lr"]
    )
    X, y = data
    n_train = int(round(len(X) * (1 - VAL_FRACTION)))
    to = lambda a, dt: torch.as_tensor(a, dtype=dt, device=device)  # noqa: E731
    tensors = (
        to(X[:n_train, : cfg.d], torch.float32),
        to(y[:n_train], torch.long),
        to(X[n_train:, : cfg.d], torch.float32),
        to(y[n_train:], torch.long),
    )
    return operator, selector, op_opt, sel_opt, tensors, gen


def train_config(cfg: Config, params: dict, s: int, precision: str, phase1: int, total: int):
    period = params["selector_period"]
    return TrainConfig(
        s=s,
        **{k: params[k] for k in TRAIN_KEYS if k != "selector_weights"},
        selector_weights=tuple(float(w) for w in params["selector_weights"]),
        phase2_start=phase1 * period,
        max_batches=total * period,
        gather=cfg.gather,
        fused=cfg.fused,
        lazy_first_layer=cfg.lazy,
        precision=precision,
    )


def time_once(cfg: Config, args, params: dict, data, device, seed: int) -> tuple[float, float]:
    """(ms per batch of the timed windows, ms per batch of the warm-up window)."""
    operator, selector, op_opt, sel_opt, tensors, gen = build(cfg, params, data, device, seed)
    warm = train_config(cfg, params, args.s, args.precision, 10**9, 1)
    hist = train_dual_net(operator, selector, op_opt, sel_opt, tensors, "multiclass", warm, gen)
    warm_ms = 1e3 * hist.fit_time_s / hist.n_batches
    timed = train_config(
        cfg, params, args.s, args.precision, PHASE1_WINDOWS, PHASE1_WINDOWS + PHASE2_WINDOWS
    )
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    hist = train_dual_net(operator, selector, op_opt, sel_opt, tensors, "multiclass", timed, gen)
    return 1e3 * hist.fit_time_s / hist.n_batches, warm_ms


def memory_estimate(cfg: Config, params: dict, batch: int, masks: int) -> float:
    """Rough peak bytes of one configuration (parameters and their optimiser state, plus the
    dense first layer's (batch, masks, d) products)."""
    h_op, h_sel = params["operator_hidden"][0], params["selector_hidden"][0]
    n_params = 2 * cfg.d * h_op + cfg.d * h_sel
    dense = 3 * 4 * batch * masks * cfg.d if not cfg.gather else 0
    return n_params * BYTES_PER_PARAM + dense + 4 * N_SAMPLES * cfg.d


def available_bytes(device: torch.device) -> float:
    if device.type == "cuda":
        return float(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo") as fh:
            info = dict(line.split(":", 1) for line in fh)
        return 1024.0 * int(info["MemAvailable"].split()[0])
    except (OSError, KeyError, ValueError):
        return float("inf")


def run_grid(args, params: dict, device: torch.device) -> dict[Config, dict]:
    """Round-robin repetitions over every (d, mode); skips are recorded with their reason."""
    configs = [Config(d, m) for d in args.dims for m in args.modes]
    data = make_data(N_SAMPLES, max(args.dims), seed=0)
    results: dict[Config, dict] = {c: {"times": [], "skip": None} for c in configs}
    for cfg in configs:
        need = memory_estimate(cfg, params, params["batch_size"], params["mask_batch_size"])
        have = available_bytes(device)
        if need > 0.7 * have:
            results[cfg]["skip"] = (
                f"skipped (needs ~{need / 2**30:.1f} GiB, {have / 2**30:.1f} GiB available)"
            )
    for rep in range(args.reps):
        for cfg in configs:
            res = results[cfg]
            if res["skip"]:
                continue
            ms, warm_ms = time_once(cfg, args, params, data, device, seed=rep)
            gc.collect()
            res["times"].append(ms)
            print(f"rep {rep} d={cfg.d:>6} {cfg.mode:>8}: {ms:9.1f} ms/batch", flush=True)
            if warm_ms > 1e3 * args.max_batch_s:
                res["skip"] = (
                    f"stopped after {rep + 1} rep(s): {warm_ms / 1e3:.1f} s per batch "
                    f"> --max-batch-s {args.max_batch_s}"
                )
    return results


def table_rows(results: dict[Config, dict], args, device_name: str) -> list[dict]:
    """One row per configuration: median and min ms/batch, the ratio to the smallest ``d`` of
    the same mode, and dense over gathered at the same ``d``."""
    med = {c: statistics.median(r["times"]) for c, r in results.items() if r["times"]}
    rows = []
    for cfg, res in results.items():
        m = med.get(cfg)
        base = med.get(Config(min(args.dims), cfg.mode))
        gathered = med.get(Config(cfg.d, "gathered")) if not cfg.gather else None
        status = "skipped" if m is None else "partial" if res["skip"] else "ok"
        rows.append(
            {
                "device": device_name,
                "threads": torch.get_num_threads(),
                "arch": args.arch,
                "precision": args.precision,
                "d": cfg.d,
                "s": args.s,
                "mode": cfg.mode,
                "status": status,
                "ms_median": None if m is None else round(m, 1),
                "ms_min": None if m is None else round(min(res["times"]), 1),
                "n_reps": len(res["times"]),
                "ratio_to_d1000": None if m is None or base is None else round(m / base, 2),
                "dense_over_gathered": None
                if m is None or gathered is None
                else round(m / gathered, 2),
                "note": res["skip"] or "",
            }
        )
    return rows


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"CPU ({cpu}, {os.cpu_count()} cores)"


def header(args, dev: str, load: tuple[float, float]) -> list[str]:
    return [
        f"- device: {dev}; torch {torch.__version__}; torch threads: {torch.get_num_threads()}",
        f"- command: `python scripts/bench_scale.py {' '.join(args.argv)}`",
        f"- architecture: `{args.arch}` (conf/dataset_method/{ARCH_FILES[args.arch]}); "
        f"s = {args.s}; precision {args.precision}; n = {N_SAMPLES} (80 % train), "
        f"{N_CLASSES} classes",
        f"- per repetition: fresh nets, one warm-up window (not timed), then {PHASE1_WINDOWS} "
        f"Phase I and {PHASE2_WINDOWS} Phase II windows of 8 batches timed; {args.reps} "
        "repetitions round-robin over the configurations",
        f"- load average (1 min) at start / end: {load[0]:.2f} / {load[1]:.2f} (a shared machine)",
    ]


def write_outputs(rows: list[dict], args, lines: list[str], tag: str) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / f"bench_scale_{tag}.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    cols = ("d", "s", "mode", "ms_median", "ms_min", "n_reps", "ratio_to_d1000",
            "dense_over_gathered", "note")  # fmt: skip
    md = [f"# Training cost per batch vs d ({tag})", "", *lines, ""]
    md += ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        md.append("| " + " | ".join(_cell(row[c]) for c in cols) + " |")
    (out / f"bench_scale_{tag}.md").write_text("\n".join(md) + "\n")
    plot(rows, out / f"bench_scale_{tag}.png", tag)


def _cell(value) -> str:
    if value is None:
        return ""
    return f"{value:,}" if isinstance(value, int) else str(value)


def plot(rows: list[dict], path: Path, tag: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for mode in dict.fromkeys(r["mode"] for r in rows):
        pts = [(r["d"], r["ms_median"]) for r in rows if r["mode"] == mode and r["ms_median"]]
        if pts:
            ax.plot(*zip(*pts, strict=True), marker="o", label=mode)
    ax.set(xscale="log", yscale="log", xlabel="d (features)", ylabel="ms per batch (median)")
    ax.set_title(f"dual-net training cost vs d, s = {rows[0]['s']} ({tag})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


LABELS = {
    "operator optimiser step": ("op_opt", "step"),
    "operator zero_grad": ("op_opt", "zero_grad"),
    "selector optimiser step": ("sel_opt", "step"),
    "operator forward (training and validation)": ("operator", "forward"),
    "selector forward (training step and search)": ("selector", "forward"),
}


def _labelled(fn, label: str):
    def wrapped(*a, **k):
        with torch.profiler.record_function(label):
            return fn(*a, **k)

    return wrapped


def profile_one(cfg: Config, args, params: dict, data, device) -> list[tuple[str, float]]:
    """ms per batch spent in each labelled part of the real loop, under torch.profiler."""
    operator, selector, op_opt, sel_opt, tensors, gen = build(cfg, params, data, device, 0)
    objs = {"op_opt": op_opt, "sel_opt": sel_opt, "operator": operator, "selector": selector}
    warm = train_config(cfg, params, args.s, args.precision, 10**9, 1)
    train_dual_net(operator, selector, op_opt, sel_opt, tensors, "multiclass", warm, gen)
    for label, (obj, name) in LABELS.items():
        setattr(objs[obj], name, _labelled(getattr(objs[obj], name), label))
    search = _labelled(fir.training.optimal_mask, "optimal-mask search (dense selector)")
    windows = (PHASE1_WINDOWS, PHASE1_WINDOWS + PHASE2_WINDOWS)
    timed = train_config(cfg, params, args.s, args.precision, *windows)
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(fir.training, "optimal_mask", search))
        prof = stack.enter_context(torch.profiler.profile(activities=_activities(device)))
        hist = train_dual_net(
            operator, selector, op_opt, sel_opt, tensors, "multiclass", timed, gen
        )
    n = hist.n_batches
    events = prof.key_averages()
    parts = [(e.key, e.cpu_time_total / 1e3 / n) for e in events if e.key in _all_labels()]
    backward = sum(
        e.cpu_time_total for e in events if e.key.startswith("autograd::engine::evaluate_function")
    )
    parts.append(("backward passes (operator and selector)", backward / 1e3 / n))
    parts.append(("whole batch (fit_time_s / batches, profiled)", 1e3 * hist.fit_time_s / n))
    return sorted(parts, key=lambda p: -p[1])


def _all_labels() -> set[str]:
    return {*LABELS, "optimal-mask search (dense selector)"}


def _activities(device: torch.device) -> list:
    acts = [torch.profiler.ProfilerActivity.CPU]
    if device.type == "cuda":
        acts.append(torch.profiler.ProfilerActivity.CUDA)
    return acts


def write_profile(args, params, device, tag: str, lines: list[str]) -> None:
    dims = sorted(set(args.dims))
    data = make_data(N_SAMPLES, max(dims), seed=0)
    mode = "lazy" if args.lazy else "gathered"
    what = "gathered first layer" + (", lazy update" if args.lazy else "")
    md = [f"# Where the time goes, {what} ({tag})", "", *lines, ""]
    md.append("CPU time per batch under torch.profiler (labels nest: the optimiser steps and "
              "forwards are outside the backward passes; profiling adds overhead).")  # fmt: skip
    for d in dims:
        parts = profile_one(Config(d, mode), args, params, data, device)
        md += ["", f"## d = {d:,}", "", "| part | ms per batch |", "|---|---|"]
        md += [f"| {name} | {ms:.2f} |" for name, ms in parts]
        gc.collect()
    Path(args.out, f"bench_scale_profile_{tag}.md").write_text("\n".join(md) + "\n")


RNASEQ_SHAPE, RNASEQ_S, N_FOLDS = (801, 20531), 49, 5


def phase_rates(args, params: dict, data, device) -> tuple[list[float], list[float]]:
    """ms per batch of Phase I and of Phase II at the RNA-seq shape, ``args.reps`` times each:
    Phase II from a run of one Phase I and two Phase II windows, less its Phase I part."""
    p1, p2 = [], []
    cfg = Config(RNASEQ_SHAPE[1], "lazy" if args.lazy else "gathered")
    period = params["selector_period"]
    for rep in range(args.reps):
        operator, selector, op_opt, sel_opt, tensors, gen = build(cfg, params, data, device, rep)
        nets = (operator, selector, op_opt, sel_opt, tensors, "multiclass")
        runs = {}
        for name, phase1, total in (("warm", 10**9, 1), ("p1", 10**9, 2), ("mix", 1, 3)):
            tc = train_config(cfg, params, RNASEQ_S, args.precision, phase1, total)
            runs[name] = train_dual_net(*nets, tc, gen)
        ms1 = 1e3 * runs["p1"].fit_time_s / runs["p1"].n_batches
        mix = runs["mix"]
        ms2 = (1e3 * mix.fit_time_s - period * ms1) / (mix.n_batches - period)
        p1.append(ms1)
        p2.append(ms2)
        print(f"rep {rep}: phase I {ms1:.1f}, phase II {ms2:.1f} ms/batch", flush=True)
        gc.collect()
    return p1, p2


def rnaseq(args, device: torch.device, tag: str, lines: list[str]) -> None:
    """Estimate 5 folds of RNA-seq at the paper's budgets; run them if under --max-minutes."""
    params = {**method_params("rnaseq"), "lazy_first_layer": args.lazy}
    X, y = make_data(*RNASEQ_SHAPE, seed=1)
    p1, p2 = phase_rates(args, params, (X, y), device)
    ms1, ms2 = statistics.median(p1), statistics.median(p2)
    phase1 = params["phase2_start"]
    phase2 = (params["patience"], params["max_batches"] - phase1)
    minutes = [N_FOLDS * (phase1 * ms1 + k * ms2) / 6e4 for k in phase2]
    md = [f"# RNA-seq-shaped dual-net: {N_FOLDS} folds at the paper's budgets ({tag})", "", *lines]
    md += [
        f"- data: generated, {RNASEQ_SHAPE[0]} x {RNASEQ_SHAPE[1]:,}, {N_CLASSES} classes, "
        f"{N_INFORMATIVE} informative columns; s = {RNASEQ_S}; gathered first layer"
        + (", lazy update (lazy_first_layer=true)" if args.lazy else ""),
        f"- budgets (conf/dataset_method/rnaseq_dualnet.yaml + method defaults): Phase I "
        f"{phase1:,} batches, then Phase II until patience {params['patience']} or "
        f"max_batches {params['max_batches']:,}",
        "",
        "| phase | ms/batch median | min | reps |",
        "|---|---|---|---|",
        f"| I | {ms1:.1f} | {min(p1):.1f} | {len(p1)} |",
        f"| II | {ms2:.1f} | {min(p2):.1f} | {len(p2)} |",
        "",
        f"Estimate for {N_FOLDS} folds: {minutes[0]:.0f} min (each fold stops "
        f"{phase2[0]} batches into Phase II) to {minutes[1]:.0f} min (each fold runs the "
        f"whole budget of {params['max_batches']:,} batches), training loop only.",
    ]
    if minutes[1] <= args.max_minutes:
        md += ["", *run_rnaseq_folds(params, X, y, device)]
    else:
        md += ["", f"Not run: the estimate exceeds --max-minutes {args.max_minutes}."]
    Path(args.out).mkdir(parents=True, exist_ok=True)
    Path(args.out, f"bench_rnaseq_{tag}.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def run_rnaseq_folds(params: dict, X, y, device: torch.device) -> list[str]:
    """The real thing, niced: 5 stratified folds of DualNetSelector at the paper's budgets."""
    from sklearn.model_selection import StratifiedKFold

    from fir import DualNetSelector

    os.nice(10)
    rows = [
        "| fold | test accuracy | batches | informative selected | wall s |",
        "|---|---|---|---|---|",
    ]
    folds = StratifiedKFold(N_FOLDS, shuffle=True, random_state=0).split(X, y)
    for k, (train, test) in enumerate(folds):
        start = time.perf_counter()
        sel = DualNetSelector(RNASEQ_S, device=str(device), random_state=k, **params)
        sel.fit(X[train], y[train])
        hits = int(sel.support_[:N_INFORMATIVE].sum())
        rows.append(
            f"| {k} | {sel.score(X[test], y[test]):.3f} | {sel.history_.n_batches} | "
            f"{hits}/{N_INFORMATIVE} | {time.perf_counter() - start:.0f} |"
        )
        print(rows[-1], flush=True)
    return rows


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--arch", choices=sorted(ARCH_FILES), default="rnaseq")
    parser.add_argument("--dims", type=int, nargs="+", default=[1000, 5000, 20000, 100000])
    parser.add_argument("--s", type=int, default=50)
    parser.add_argument(
        "--modes",
        nargs="+",
        choices=["gathered", "lazy", "dense", "dense_fused"],
        default=["gathered", "lazy", "dense"],
        help="dense: autograd steps; dense_fused: the hand-written step (fir.fused) that "
        "fir-run uses on a CPU with gather=false",
    )
    parser.add_argument(
        "--lazy",
        action="store_true",
        help="--profile and --rnaseq: with the lazy first-layer update (lazy_first_layer)",
    )
    parser.add_argument("--precision", choices=fir.training.PRECISIONS, default="32")
    parser.add_argument("--reps", type=int, default=5, help="repetitions per configuration")
    parser.add_argument(
        "--max-batch-s",
        type=float,
        default=30.0,
        help="stop repeating a configuration whose warm-up batches took longer",
    )
    parser.add_argument("--out", default=str(ROOT / "docs/bench"))
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile the gathered path at each d",
    )
    parser.add_argument(
        "--rnaseq",
        action="store_true",
        help="time (and, if quick enough, run) the RNA-seq-shaped problem",
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=25.0,
        help="run the RNA-seq folds only if estimated under this",
    )
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    return args


def output_tag(args: argparse.Namespace, device: torch.device) -> str:
    """File-name tag: the device type, then whatever differs from the defaults."""
    parts = [device.type]
    if args.arch != "rnaseq":
        parts.append(args.arch)
    if args.precision != "32":
        parts.append(args.precision)
    if args.threads != 1:
        parts.append(f"{args.threads}threads")
    if args.lazy and (args.profile or args.rnaseq):
        parts.append("lazy")
    return "_".join(parts)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    tag = output_tag(args, device)
    dev = device_name(device)
    load0 = os.getloadavg()[0]
    if args.rnaseq or args.profile:
        lines = header(args, dev, (load0, load0))[:3]
        if args.profile:
            write_profile(args, method_params(args.arch), device, tag, lines)
        if args.rnaseq:
            rnaseq(args, device, tag, [*lines[:2], f"- precision {args.precision}"])
        return
    results = run_grid(args, method_params(args.arch), device)
    rows = table_rows(results, args, dev)
    write_outputs(rows, args, header(args, dev, (load0, os.getloadavg()[0])), tag)
    print(Path(args.out, f"bench_scale_{tag}.md").read_text())


if __name__ == "__main__":
    main()
