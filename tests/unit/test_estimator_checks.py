"""scikit-learn's estimator checks on a tiny DualNetSelector."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from fir import DualNetSelector

TINY = DualNetSelector(
    n_features_to_select=1,
    operator_hidden=(4,),
    selector_hidden=(4,),
    batch_size=8,
    mask_batch_size=4,
    phase2_start=8,
    max_batches=16,
    patience=8,
    final_search_steps=1,
    device="cpu",
    random_state=0,
)

EXPECTED_FAILURES = {
    "check_methods_sample_order_invariance": (
        "the operator computes in float32, and BLAS blocking depends on a row's position in the "
        "batch, so predict_proba can differ by ~1e-8 when the rows are permuted"
    ),
    "check_classifiers_regression_target": (
        "task='auto' (the default) reads a continuous y as regression instead of rejecting it; "
        "test_selector.py checks that task='classification' rejects it"
    ),
}


@parametrize_with_checks([TINY], expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_sklearn_compatible(estimator, check):
    check(estimator)
