"""scripts/xor_reference_protocol.py fits what fir-run fits and scores the overlapping test set."""

import numpy as np
import pandas as pd
from hydra import compose, initialize_config_dir

from fir.run import run
from tests.conftest import CONF_DIR, script_module


def test_fresh_scores_are_fir_runs_and_overlapping_mixes_in_training_rows(tmp_path):
    with script_module("xor_reference_protocol") as script:
        rows = script.main(["--folds", "2", "--budget", "16", "48"])
    budget = ["method.selector.phase2_start=16", "method.selector.max_batches=48"]
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["n_splits=2", "verbose=0", *budget])
    run(cfg, tmp_path)
    assert rows["fresh"] == pd.read_csv(tmp_path / "folds.csv")["score"].tolist()
    # the overlapping test set is the 512 training rows plus 512 fresh test rows
    expected = (np.array(rows["train"]) + np.array(rows["half"])) / 2
    assert np.allclose(rows["overlapping"], expected, rtol=0, atol=1e-12)


def test_the_bayes_rule_reaches_the_known_optimum_and_oracles_need_no_fit():
    with script_module("xor_reference_protocol") as script:
        from fir.data.synthetic import xor_sample

        X, y = xor_sample(40_000, np.random.default_rng(0))
        assert 0.59 < (script.bayes_predict(X) == y).mean() < 0.61  # SPEC: about 0.600
        rows = script.main(["--folds", "2", "--oracles-only"])
    assert rows["fresh"] == [] and len(rows["bayes"]) == len(rows["svm_x012"]) == 2
    assert all(0.5 < v < 0.7 for v in rows["bayes"] + rows["svm_x012"])
