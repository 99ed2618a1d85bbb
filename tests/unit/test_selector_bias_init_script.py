"""scripts/selector_bias_init.py fits the random states whose selectors start farthest off."""

from tests.conftest import script_module


def test_selector_bias_init_script_ranks_random_states_by_their_first_selector_loss():
    with script_module("selector_bias_init") as script:
        results = script.main(["--inits", "6", "--top", "2", "--data-seeds", "0",
                               "--budget", "16", "48", "--n-jobs", "1"])  # fmt: skip
        ranked = [script.fit(0, r, "zero", (8, 16), 1)[4] for r in range(6)]
    worst = sorted(range(6), key=lambda r: -ranked[r])[:2]
    for init in ("zero", "target_mean"):
        assert [row[1] for row in results[init]] == worst
        assert all(len(row[5]) == 5 for row in results[init])
