#!/usr/bin/env bash
# Reproduce the paper: run every experiment preset (conf/experiment/) at one budget, then report.
#
#   scripts/reproduce_paper.sh [quick|paper] [OUT] [OVERRIDE...]
#
#   quick  profile=quick: reduced budgets for a 2-core CPU, about 30 minutes in all, with the grids
#          of Figure 4 and supplement Figure VIII narrowed (quick_runs below); the numbers are
#          indicative, not the paper's.
#   paper  profile=default: the paper's budgets (a GPU or a cluster; days on a 2-core CPU).
#   OUT    output root (default: outputs; may be left out before overrides); preset <name>
#          writes OUT/experiments/<dir>/<profile>/.
#   OVERRIDE  extra Hydra overrides for every run, e.g. device=cuda, or hydra.launcher.n_jobs=4
#          (quick runs two points at a time; paper one: add hydra/launcher=joblib for more).
#
# Running it again continues where the last invocation stopped: the presets set resume=true and
# fixed sweep directories, so completed runs are skipped and partial ones go on from their
# finished folds. A preset whose data is missing (rnaseq, unless you place its archive in
# FIR_DATA_DIR) is skipped with a message. Ends with fir-report over OUT/experiments, its
# verdicts taken from the runs of the chosen budget.
# Environment: FIR_DATA_DIR (the data), FIR_RUN / FIR_REPORT / PYTHON (the commands to use).
set -euo pipefail

budget=${1:-quick}
[ $# -gt 0 ] && shift
out=outputs
if [ $# -gt 0 ] && [[ "$1" != *=* ]]; then  # OUT may be left out: device=cuda is an override
  out=$1
  shift
fi
extra=("$@")

case "$budget" in
  quick) profile=quick ;;
  paper) profile=default ;;
  *) echo "usage: $0 [quick|paper] [OUT] [OVERRIDE...] (got budget '$budget')" >&2; exit 2 ;;
esac

fir_run=${FIR_RUN:-fir-run}
fir_report=${FIR_REPORT:-fir-report}
if ! command -v "$fir_run" >/dev/null; then
  echo "$0: '$fir_run' not found: install fir (pip install -e .) and activate its environment" >&2
  exit 2
fi
python=${PYTHON:-$(dirname "$(command -v "$fir_run")")/python}

# preset, and the directory under OUT/experiments it writes to: presets that complete another's
# figure share its directory (the presets' own hydra.sweep.dir says the same).
presets=(
  "fig2_synthetic fig2_synthetic"
  "fig2_synthetic_mrmr fig2_synthetic"
  "fig3_mnist fig3_mnist"
  "fig4_benchmarks fig4_benchmarks"
  "fig5_enhancer fig5_enhancer"
  "fig5_enhancer_sizes fig5_enhancer"
  "learning_curves learning_curves"
  "table5_rnaseq table5_rnaseq"
)

# quick only: a profile cannot change a preset's sweep, so the grids are narrowed here, one
# fir-run -m per line (a sweep key on the command line replaces the preset's).
# Figure 4: glass and vowel in full; TOX-171 and yale at s = 10, 30, 50.
# Supplement Figures VIII-X: s = 15, 35, 55 of 15..55.
quick_runs() {
  case "$1" in
    fig4_benchmarks)
      local gv="" s
      for s in 1 2 3 4 5 6 7 8 9; do gv+="glass_s$s,vowel_s$s,"; done
      echo "+experiment/point=${gv%,}"
      echo "+experiment/point=tox171_s10,tox171_s30,tox171_s50,yale_s10,yale_s30,yale_s50" \
        "method=dualnet,rfe,bahsic,mrmr,ccm"
      ;;
    fig5_enhancer_sizes) echo "s=15,35,55" ;;
    *) echo "" ;;
  esac
}

# Which presets cannot load their data: composes each preset's sweep points and loads every
# distinct dataset once (a missing file is downloaded when it can be). Prints
# "<preset>\t<missing|error>\t<message>" per preset that cannot run.
check_data() {
  "$python" - "$profile" "${#extra[@]}" "${extra[@]}" "$@" <<'PY'
import itertools
import sys

from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.utils import instantiate
from omegaconf import OmegaConf

import fir.run

profile, n_extra = sys.argv[1], int(sys.argv[2])
extra, presets = sys.argv[3 : 3 + n_extra], sys.argv[3 + n_extra :]
DATA_KEYS = ("dataset", "experiment/point")  # the sweep keys that choose the data
parser = OverridesParser.create()
loaded: dict[str, str | None] = {}


def problem(exc: BaseException) -> str | None:
    """'missing' when a FileNotFoundError is in the exception's chain, else 'error'."""
    seen = exc
    while seen is not None:
        if isinstance(seen, FileNotFoundError):
            return f"missing\t{seen}"
        seen = seen.__cause__
    return f"error\t{type(exc).__name__}: {exc}"


with initialize_config_dir(config_dir=str(fir.run.CONF_DIR), version_base="1.3"):
    for preset in presets:
        base = [f"+experiment={preset}", f"profile={profile}", *extra]
        cfg = compose("config", overrides=base, return_hydra_config=True)
        params = [f"{k}={v}" for k, v in (cfg.hydra.sweeper.params or {}).items()]
        choices = [
            [f"{o.get_key_element()}={v}" for v in (o.sweep_iterator() if o.is_sweep_override() else [o.value()])]
            for o in parser.parse_overrides(params)
            if o.key_or_group in DATA_KEYS
        ]
        for combo in itertools.product(*choices):
            node = compose("config", overrides=[*base, *combo]).dataset
            key = OmegaConf.to_yaml(node, resolve=True)
            if key not in loaded:
                try:
                    instantiate(node, _convert_="all")
                    loaded[key] = None
                except Exception as exc:  # noqa: BLE001 (reported, the preset is skipped)
                    loaded[key] = problem(exc)
            if loaded[key] is not None:
                print(f"{preset}\t{loaded[key]}".replace("\n", " "), flush=True)
                break
PY
}

mkdir -p "$out/experiments"
names=()
for entry in "${presets[@]}"; do names+=("${entry%% *}"); done
echo "== checking the data of ${#names[@]} presets (FIR_DATA_DIR=${FIR_DATA_DIR:-unset})"
declare -A unusable=()
problems=$(check_data "${names[@]}")
while IFS=$'\t' read -r preset kind message; do
  [[ -n "$preset" ]] || continue
  unusable[$preset]="$kind: $message"
done <<< "$problems"

failed=()
skipped=()
total_start=$SECONDS
for entry in "${presets[@]}"; do
  preset=${entry%% *}
  dir="$out/experiments/${entry##* }/$profile"
  if [[ -n "${unusable[$preset]:-}" ]]; then
    echo "== $preset: SKIPPED, its data cannot be loaded (${unusable[$preset]})"
    skipped+=("$preset")
    [[ "${unusable[$preset]}" == missing:* ]] || failed+=("$preset")
    continue
  fi
  runs=("")
  if [[ "$profile" == quick ]]; then mapfile -t runs < <(quick_runs "$preset"); fi
  start=$SECONDS
  status=ok
  for run in "${runs[@]}"; do
    read -r -a narrow <<< "$run"
    echo "== $preset -> $dir ${narrow[*]}"
    if ! "$fir_run" -m "+experiment=$preset" "profile=$profile" "hydra.sweep.dir=$dir" \
        "${narrow[@]}" "${extra[@]}"; then
      status=FAILED
    fi
  done
  [[ "$status" == ok ]] || failed+=("$preset")
  printf '== %-20s %-6s %6d s  (%s)\n' "$preset" "$status" $((SECONDS - start)) "$dir"
done
printf '== all presets: %d s; skipped: %s; failed: %s\n' $((SECONDS - total_start)) \
  "${skipped[*]:-none}" "${failed[*]:-none}"

"$fir_report" "$out/experiments" --budget "$profile"
[[ ${#failed[@]} -eq 0 ]]
