"""Why a row is an outlier and how sure the detector is: `explain`, `predict_proba` and
contamination='auto' of AutoEncoderOutlierDetector, through the detector and through a Pipeline."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from aekit import AutoEncoder, AutoEncoderOutlierDetector, VariationalAutoEncoder, explain
from aekit.analysis.thresholds import auto_threshold

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMALL = {"latent_dim": 3, "hidden_dims": (32,), "batch_size": 32, "max_epochs": 40}
NAMES = ["age", "income", "rent", "debt", "savings", "spend", "loans", "cards"]


def correlated(n: int, seed: int, d: int = 8) -> np.ndarray:
    """Rows near a 3-D subspace (the same for every seed), each column of unit variance: (n, d)."""
    mixing = np.random.default_rng(0).normal(size=(3, d))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) @ mixing + 0.2 * rng.normal(size=(n, d))
    return X / np.sqrt((mixing**2).sum(axis=0) + 0.04)


def small_detector(epochs: int = 40, **params) -> AutoEncoderOutlierDetector:
    return AutoEncoderOutlierDetector(AutoEncoder(**{**SMALL, "max_epochs": epochs}), random_state=0, **params)


@pytest.fixture(scope="module")
def fitted():
    """A detector trained long enough to learn the subspace (40 epochs leave a 6-sigma shift
    named first in about 90 % of rows, 150 in about 99 %)."""
    X = correlated(600, seed=1)
    return small_detector(150, contamination=0.05).fit(X), X


@pytest.mark.parametrize(
    "params", [{"criterion": "reconstruction"}, {"criterion": "latent"}, {"standardize": True}], ids=str
)
def test_contributions_sum_to_the_anomaly_score_for_every_criterion(params):
    X = correlated(200, seed=2)
    det = small_detector(10, **params).fit(X)
    X_new = correlated(40, seed=3) * 1.5
    table = det.explain(X_new)
    assert table.shape == (40, 8)
    np.testing.assert_allclose(table.to_numpy().sum(axis=1) + table.attrs["offset"], -det.score_samples(X_new), rtol=1e-6, atol=1e-8)


@pytest.mark.slow
def test_combined_contributions_sum_to_the_score_and_reconstruction_terms_are_nonnegative(fitted):
    det, _ = fitted
    X_new = correlated(50, seed=4)
    table = det.explain(X_new)
    np.testing.assert_allclose(table.to_numpy().sum(axis=1) + table.attrs["offset"], -det.score_samples(X_new), rtol=1e-6, atol=1e-8)
    reconstruction_only = small_detector(10, criterion="reconstruction").fit(correlated(200, seed=1))
    assert (reconstruction_only.explain(X_new).to_numpy() >= 0).all()


def test_a_planted_six_sigma_shift_is_named_first(fitted):
    det, _ = fitted
    rng = np.random.default_rng(5)
    X_new = correlated(80, seed=6)
    planted = rng.integers(0, 8, size=len(X_new))
    X_new[np.arange(len(X_new)), planted] += 6.0 * rng.choice([-1.0, 1.0], size=len(X_new))
    top = det.explain(X_new, top=3)
    named = np.array([int(f[1:]) for f in top["feature_1"]])
    assert (named == planted).mean() >= 0.9
    shares = top[["share_1", "share_2", "share_3"]].to_numpy(dtype=float)
    assert (np.diff(shares, axis=1) <= 1e-12).all() and (shares[:, 0] > 0.3).mean() > 0.9
    np.testing.assert_allclose(top["observed_1"].to_numpy(dtype=float), X_new[np.arange(80), named])


def test_a_column_constant_in_training_that_departs_from_its_value_is_named_as_the_reason():
    # a site column always 5.0 in training, 5.5 in one new row: the score jumped from about 0.3 to about 200, and
    # the explanation blamed two ordinary columns ('c = -1.157 ... 47% of the score') and gave site 8%
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300), "site": 5.0, "c": rng.normal(size=300)})
    pipe = make_pipeline(StandardScaler(), small_detector(10)).fit(table)
    rows = table.head(4).copy()
    rows.loc[0, "site"] = 5.5
    top = explain(pipe, rows, top=2)
    assert top["feature_1"][0] == "site" and top["share_1"][0] == 1.0 and top["expected_1"][0] == pytest.approx(5.0, abs=0.05)
    assert "site" not in set(top["feature_1"][1:]) and (top["share_1"][1:] < 1.0).all()  # rows at the constant: as before
    full = explain(pipe, rows)
    np.testing.assert_allclose(full.sum(axis=1) + full.attrs["offset"], -pipe.score_samples(rows), rtol=1e-6)


def test_a_nearly_constant_column_that_departs_far_beyond_its_range_is_named_with_sane_expected_values():
    # site 5.0 in every training row but one at 5.001, 5.5 in a new row: the score was about 4e7 and the
    # reasons gave the ordinary columns expected values near 1000 (the model's extrapolation), sometimes first
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "c"]).assign(site=5.0)
    table.loc[7, "site"] = 5.001
    detector = AutoEncoderOutlierDetector(AutoEncoder(max_epochs=20, verbose=0), random_state=0).fit(table)
    rows = table.head(4).copy()
    rows.loc[0, "site"] = 5.5
    top = explain(detector, rows, top=4)
    assert top["feature_1"][0] == "site" and top["share_1"][0] == 1.0 and top["expected_1"][0] == pytest.approx(5.0, abs=0.01)
    expected = top.loc[0, ["expected_2", "expected_3", "expected_4"]].to_numpy(dtype=float)
    assert (np.abs(expected) < 5).all()  # in the range of a standard normal column, not the extrapolation
    full = explain(detector, rows)
    np.testing.assert_allclose(full.sum(axis=1) + full.attrs["offset"], -detector.score_samples(rows), rtol=1e-6)


def test_feature_names_and_units_survive_a_pipeline_on_a_dataframe():
    X = pd.DataFrame(correlated(500, seed=7) * 10 + 50, columns=NAMES)
    pipe = make_pipeline(StandardScaler(), small_detector()).fit(X)
    X_new = pd.DataFrame(correlated(30, seed=8) * 10 + 50, columns=NAMES, index=range(100, 130))
    X_new["rent"] += 60.0  # six standard deviations in the column's own units
    table = explain(pipe, X_new)
    assert list(table.columns) == NAMES and list(table.index) == list(X_new.index)
    np.testing.assert_allclose(table.to_numpy().sum(axis=1) + table.attrs["offset"], -pipe.score_samples(X_new), rtol=1e-6)
    top = explain(pipe, X_new, top=2)
    assert (top["feature_1"] == "rent").mean() >= 0.9
    assert np.allclose(top["observed_1"].to_numpy(dtype=float)[top["feature_1"] == "rent"], X_new["rent"][top["feature_1"] == "rent"])
    expected = top["expected_1"].to_numpy(dtype=float)
    assert ((expected > 0) & (expected < 150)).all()  # the reconstruction in the input's units, not standardised ones
    same = pipe[-1].explain(pipe[:-1].transform(X_new), feature_names=NAMES)
    np.testing.assert_allclose(same.to_numpy(), table.to_numpy())


def mixed_table(n: int, seed: int) -> pd.DataFrame:
    """Numeric columns and a categorical 'region' that follows the first of them."""
    X = correlated(n, seed)[:, :4]
    frame = pd.DataFrame(X * 100 + 1000, columns=NAMES[:4])
    frame["region"] = np.where(X[:, 0] > 0.5, "north", np.where(X[:, 0] < -0.5, "south", "middle"))
    return frame


def test_a_one_hot_encoded_column_is_explained_as_its_source_column():
    X = mixed_table(600, seed=9)
    columns = ColumnTransformer([("num", StandardScaler(), NAMES[:4]), ("cat", OneHotEncoder(), ["region"])])
    pipe = make_pipeline(columns, small_detector(criterion="reconstruction")).fit(X)
    X_new = mixed_table(60, seed=10)
    X_new = X_new[X_new["region"] != "middle"].copy()
    X_new["region"] = X_new["region"].map({"north": "south", "south": "north"})  # each row's other extreme
    table = explain(pipe, X_new)
    assert list(table.columns) == [*NAMES[:4], "region"]
    conditional = explain(pipe, X_new, top=3)  # region flipped is also age, which region follows, at odds with region
    assert (conditional[["feature_1", "feature_2", "feature_3"]] == "region").any(axis=1).mean() >= 0.9
    top = explain(pipe, X_new, top=1, method="error")
    assert (top["feature_1"] == "region").mean() >= 0.8
    hits = top[top["feature_1"] == "region"]
    assert set(hits["observed_1"]) <= {"north", "south"}
    assert (hits["observed_1"] != hits["expected_1"]).mean() >= 0.8
    every = explain(pipe, X_new, top=5)
    for k in range(1, 6):
        numeric = every[f"feature_{k}"] != "region"
        assert (every[f"expected_{k}"][~numeric].isin(["north", "middle", "south"])).all()
        at = [X_new.loc[row, feature] for row, feature in every[f"feature_{k}"][numeric].items()]
        np.testing.assert_allclose(  # back in the table's units through the ColumnTransformer's scaler
            every[f"observed_{k}"][numeric].astype(float), np.asarray(at, dtype=float)
        )
        assert every[f"expected_{k}"][numeric].astype(float).between(500, 1500).all()

    det = pipe[-1]
    encoded = [str(n) for n in pipe[:-1].get_feature_names_out()]
    grouped = det.explain(pipe[:-1].transform(X_new), feature_names=encoded,
                          groups={"region": [n for n in encoded if n.startswith("cat__")]}, top=1, method="error")
    assert (grouped["feature_1"] == "region").mean() >= 0.8
    assert set(grouped["observed_1"][grouped["feature_1"] == "region"]) <= {"north", "south"}


def test_a_category_that_is_the_one_expected_takes_no_share_of_the_score():
    """A category the model could not predict from the rest of the row ('ward', drawn at
    random) took most of the score of rows holding the category it expected most, read as
    'ward = b (expected b; 66% of the score)': the model's doubt between categories counted as
    the row's distance from them. Now such a column's share is 0 and it comes after the others."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(150, 2)) @ rng.normal(size=(2, 3)) * 100 + 1000, columns=NAMES[:3])
    frame["ward"] = rng.choice(["a", "b", "c"], size=150, p=[0.3, 0.4, 0.3])
    det = small_detector(3).fit(frame)
    top = explain(det, frame, top=4)
    at_home = (top["feature_4"] == "ward") & (top["observed_4"] == top["expected_4"])
    for k in range(1, 4):
        assert not ((top[f"feature_{k}"] == "ward") & (top[f"observed_{k}"] == top[f"expected_{k}"])).any()
    assert at_home.sum() > 30 and (top["share_4"][at_home] == 0).all()
    table = explain(det, frame)
    np.testing.assert_allclose(table.to_numpy().sum(axis=1) + table.attrs["offset"], -det.score_samples(frame), rtol=1e-6)


def test_the_conditional_expectation_does_not_see_the_value_it_judges(fitted):
    det, X = fitted
    row = X[:20].copy()
    shifted = row.copy()
    shifted[:, 2] += 6.0
    top_plain = det.explain(row, top=8)
    top_shifted = det.explain(shifted, top=8)
    def expected_of(top, feature):
        return np.array([next(r[f"expected_{k}"] for k in range(1, 9) if r[f"feature_{k}"] == feature) for _, r in top.iterrows()], dtype=float)
    np.testing.assert_allclose(expected_of(top_shifted, "x2"), expected_of(top_plain, "x2"), rtol=1e-5, atol=1e-6)
    reconstruction = det.autoencoder_.reconstruct(shifted)[:, 2] - det.autoencoder_.reconstruct(row)[:, 2]
    assert np.abs(reconstruction).mean() > 0.1  # the plain reconstruction does follow the shifted value


def test_predict_proba_is_a_probability_monotone_in_the_score_and_agrees_with_predict(fitted):
    det, X = fitted
    X_new = np.vstack([correlated(200, seed=11), 4 * np.random.default_rng(12).normal(size=(20, 8))])
    proba = det.predict_proba(X_new)
    assert proba.shape == (220, 2) and ((proba >= 0) & (proba <= 1)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    order = np.argsort(-det.score_samples(X_new))
    assert (np.diff(proba[order, 1]) >= -1e-12).all()
    assert np.array_equal(proba[:, 1] > 0.5, det.predict(X_new) == -1)
    assert np.array_equal(proba[:, 1] > 0.5, det.decision_function(X_new) < 0)
    assert proba[200:, 1].mean() > 0.9 and np.median(det.predict_proba(X)[:, 1]) < 0.1


def test_contamination_auto_flags_planted_outliers_without_a_guess():
    X = np.vstack([correlated(570, seed=13), 4 * np.random.default_rng(14).normal(size=(30, 8))])
    det = small_detector(contamination="auto").fit(X)
    flagged = det.predict(X) == -1
    assert flagged[570:].mean() >= 0.8 and flagged[:570].mean() <= 0.05
    assert det.predict_proba(X[570:])[:, 1].mean() > 0.7
    with pytest.raises(ValueError, match="contamination"):
        AutoEncoderOutlierDetector(contamination="guess").fit(X)


def two_groups(n_low: int, n_high: int, gap: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.permutation(np.r_[rng.normal(size=n_low), rng.normal(gap, 1.0, size=n_high)])


@pytest.mark.parametrize(("n_high", "gap"), [(50, 8.0), (350, 8.0)])
def test_the_auto_threshold_finds_the_gap_of_two_groups_large_or_small(n_high, gap):
    scores = two_groups(1000 - n_high, n_high, gap, seed=n_high)
    flagged = scores > auto_threshold(scores)
    high = scores > gap / 2
    assert high.sum() == pytest.approx(n_high, abs=3)
    assert flagged[~high].sum() == 0 and flagged[high].mean() >= 0.97


@pytest.mark.parametrize("seed", range(3))
def test_the_auto_threshold_flags_only_the_top_3_percent_of_one_bell_curve(seed):
    scores = np.random.default_rng(seed).normal(size=2000)
    flagged = scores > auto_threshold(scores)
    assert flagged.sum() == 60 and scores[flagged].min() > scores[~flagged].max()


@pytest.mark.parametrize("tail", ["lognormal", "pareto"])
def test_the_auto_threshold_does_not_peel_a_heavy_tail_without_outliers(tail):
    rng = np.random.default_rng(0)
    scores = np.exp(rng.normal(0.0, 1.5, size=2000)) if tail == "lognormal" else rng.pareto(1.5, size=2000)
    assert (scores > auto_threshold(scores)).sum() == 60  # the test on raw scores (level 0.05) flagged 129 and 161


def test_the_auto_threshold_tests_many_scores_at_a_lower_level(monkeypatch):
    """5,000 scores whose logs have a skewed (Gamma) tail and no outliers: at the level for a few
    hundred scores the test peels that tail (over 4 %); scaled down with n it stays near the 3 %
    floor."""
    from aekit.analysis import thresholds

    scores = np.exp(np.random.default_rng(0).gamma(2.0, 1.0, size=5000))
    flagged = (scores > auto_threshold(scores)).sum()
    monkeypatch.setattr(thresholds, "AUTO_LEVEL_ROWS", 10**9)
    unscaled = (scores > auto_threshold(scores)).sum()
    assert 150 <= flagged <= 165 and unscaled >= 200


def test_the_auto_threshold_flags_more_at_a_higher_level_and_refuses_a_level_outside_0_1():
    rng = np.random.default_rng(0)
    scores = np.r_[rng.normal(size=900), rng.uniform(3.0, 30.0, size=100)]
    counts = [(scores > auto_threshold(scores, level)).sum() for level in (0.001, 0.05, 0.5)]
    assert counts[0] <= counts[1] <= counts[2] and counts[0] < counts[2]
    assert (scores > auto_threshold(scores)).sum() == (scores > auto_threshold(scores, 0.3)).sum()
    with pytest.raises(ValueError, match="level must be in"):
        auto_threshold(scores, 1.0)


@pytest.mark.parametrize("scores", [np.ones(40), np.array([1.0, 2.0]), np.array([3.0])])
def test_the_auto_threshold_of_constant_or_few_scores_flags_none(scores):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        threshold = auto_threshold(scores)
    assert np.isfinite(threshold) and not (scores > threshold).any()


def test_save_and_load_keep_explanations_and_probabilities(fitted, tmp_path):
    det, _ = fitted
    X_new = correlated(30, seed=15) * 2
    loaded = AutoEncoderOutlierDetector.load(det.save(tmp_path / "det"))
    np.testing.assert_allclose(loaded.predict_proba(X_new), det.predict_proba(X_new))
    pd.testing.assert_frame_equal(loaded.explain(X_new, top=3), det.explain(X_new, top=3))
    auto = small_detector(contamination="auto").fit(correlated(200, seed=16))
    again = AutoEncoderOutlierDetector.load(auto.save(tmp_path / "auto"))
    assert again.contamination == "auto" and again.threshold_ == pytest.approx(auto.threshold_)

    config = tmp_path / "det" / "config.json"
    saved = json.loads(config.read_text())
    del saved["fitted"]["score_quantiles_"]  # as a detector saved before predict_proba existed
    del saved["fitted"]["feature_mean_"]  # and before the conditional explanation
    config.write_text(json.dumps(saved))
    older = AutoEncoderOutlierDetector.load(tmp_path / "det")
    np.testing.assert_allclose(older.score_samples(X_new), det.score_samples(X_new))
    with pytest.raises(ValueError, match="fit again"):
        older.predict_proba(X_new)
    with pytest.raises(ValueError, match="fit again, or pass method='error'"):
        older.explain(X_new)
    pd.testing.assert_frame_equal(older.explain(X_new, method="error"), det.explain(X_new, method="error"))


def test_refusals_name_the_argument(fitted):
    det, X = fitted
    with pytest.raises(ValueError, match="top"):
        det.explain(X[:5], top=0)
    with pytest.raises(ValueError, match="groups"):
        det.explain(X[:5], groups={"region": ["nowhere"]})
    with pytest.raises(ValueError, match="feature_names"):
        det.explain(X[:5], feature_names=["a", "b"])
    with pytest.raises(ValueError, match="Pipeline ending in"):
        explain(make_pipeline(StandardScaler()), X[:5])
    vae = AutoEncoderOutlierDetector(VariationalAutoEncoder(latent_dim=2, max_epochs=2), criterion="reconstruction").fit(X)
    with pytest.raises(ValueError, match="standardize=True"):
        vae.explain(X[:5], method="error")
    with pytest.raises(ValueError, match="method must be one of"):
        vae.explain(X[:5], method="shap")
    table = vae.explain(X[:5])  # the conditional method needs only a reconstruction
    np.testing.assert_allclose(table.to_numpy().sum(axis=1) + table.attrs["offset"], -vae.score_samples(X[:5]), rtol=1e-6)


def test_detect_on_the_command_line_writes_reasons_and_a_report(tmp_path, capsys):
    from aekit.cli import main

    frame = mixed_table(300, seed=17)
    frame.loc[:4, "rent"] = 1800.0  # five rows with a rent eight standard deviations beyond the others'
    frame.to_csv(tmp_path / "table.csv", index=False)
    args = ["detect", str(tmp_path / "table.csv"), "--contamination", "auto", "--explain", "2", "--out", str(tmp_path / "flagged.csv"),
            "--report", str(tmp_path / "report"), "--epochs", "40", "--quiet", "--set", "latent_dim=2", "--set", "hidden_dims=[16]"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "wrote" in out and "rent = 1800" in out
    # the summary and the report named the file's first data row 'row 0', where refusals call it 'data row 1'
    assert {line.split(":")[0] for line in out.splitlines()[1:6]} == {f"  data row {k}" for k in range(1, 6)}
    flagged = pd.read_csv(tmp_path / "flagged.csv")
    assert list(flagged.columns[-5:]) == ["outlier_score", "outlier", "outlier_probability", "why_1", "why_2"]
    assert flagged["outlier"][:5].all() and flagged["why_1"][:5].str.startswith("rent = 1800 (expected ").all()
    expected = flagged["why_1"][:5].str.extract(r"expected ([-0-9.e+]+);")[0].astype(float)
    assert expected.between(700, 1300).all()  # what the rest of the row implies, in the table's units, not 1800 copied
    assert ((flagged["outlier_probability"] > 0.5) == flagged["outlier"]).all()
    assert flagged["why_2"].str.match(r"^(age|income|rent|debt|region) = ").all()
    for why in ("why_1", "why_2"):  # 29 rows read 'region = north (expected north; 81% of the score)' or the like
        said = flagged[why].str.extract(r"^region = (\w+) \(expected (\w+); (\d+)% of the score\)").dropna()
        assert (said.loc[said[0] == said[1], 2] == "0").all()
    page = (tmp_path / "report" / "report.html").read_text()
    assert "data:image/png;base64," in page and "rent = 1800" in page and "contamination=&#x27;auto&#x27;" in page
    assert "data rows of the table, counted from 1" in page and '<tr><td class="num">5</td>' in page
    assert '<tr><td class="num">0</td>' not in page
    with pytest.raises(SystemExit):
        main([*args[:2], "--contamination", "0.7"])
    assert "--contamination: must be in (0, 0.5] or 'auto'" in capsys.readouterr().err


def test_detect_explains_a_pipeline_of_the_table_encoding_and_the_detector(tmp_path, capsys):
    from aekit.analysis.explanations import reasons
    from aekit.app.detection_report import reason_texts
    from aekit.cli import main
    from aekit.data.datasets import read_csv_frame
    from aekit.data.tabular import DetectionEncoding

    frame = mixed_table(200, seed=20)
    frame.loc[:2, "income"] = 2000.0
    frame.to_csv(tmp_path / "table.csv", index=False)
    args = ["detect", str(tmp_path / "table.csv"), "--contamination", "0.05", "--explain", "4", "--out", str(tmp_path / "flagged.csv"),
            "--epochs", "15", "--quiet", "--set", "latent_dim=2", "--set", "hidden_dims=[16]"]
    assert main(args) == 0
    flagged = pd.read_csv(tmp_path / "flagged.csv")
    from aekit.estimators.outlier import default_autoencoder  # what the command trains, with --set and --epochs

    autoencoder = default_autoencoder(200).set_params(latent_dim=2, hidden_dims=(16,), max_epochs=15, verbose=False)
    table = read_csv_frame(tmp_path / "table.csv")
    pipe = make_pipeline(DetectionEncoding(), AutoEncoderOutlierDetector(autoencoder, contamination=0.05, random_state=0)).fit(table)
    np.testing.assert_array_equal(flagged["outlier_score"].to_numpy(), -pipe.score_samples(table))
    top = explain(pipe, table, top=4)
    why = [list(row) for row in flagged[[f"why_{k}" for k in range(1, 5)]].to_numpy()]
    assert reason_texts(top) == why and {"region", "income"} <= set(top["feature_1"])
    assert set(top["expected_1"][top["feature_1"] == "region"]) <= {"north", "middle", "south"}
    contributions = explain(pipe, table)
    assert list(contributions.columns) == [*NAMES[:4], "region"]
    np.testing.assert_allclose(contributions.sum(axis=1) + contributions.attrs["offset"], -pipe.score_samples(table), rtol=1e-5)
    encoding, detector = pipe[0], pipe[-1]
    names, sources = list(encoding.get_feature_names_out()), list(encoding.get_feature_sources_out())
    by_hand = reasons(detector, encoding.transform(table), names, sources, "conditional", 4, table.index, table, encoding.inverse_transform)
    pd.testing.assert_frame_equal(by_hand, top)


@pytest.mark.slow
def test_readme_explanation_example_runs():
    from tests.test_readme import readme_block, run_expressions

    X = pd.DataFrame(correlated(300, seed=18) * 10 + 50, columns=NAMES)
    X_new = pd.DataFrame(correlated(10, seed=19) * 10 + 50, columns=NAMES)
    X_new.loc[5:, "debt"] += 80.0
    namespace = {"X_table": X, "X_table_new": X_new, "make_pipeline": make_pipeline, "StandardScaler": StandardScaler}
    top, table, proba = run_expressions(readme_block("explain(det, X_table_new, top=3)"), namespace)
    assert (top["feature_1"][5:] == "debt").all() and list(table.columns) == NAMES
    assert (proba[5:] > 0.5).all() and (proba[:5] < 0.5).mean() >= 0.8


@pytest.mark.slow
def test_readme_detect_example_gives_the_commands_reasons(tmp_path, monkeypatch):
    from aekit.app.detection_report import reason_texts
    from aekit.cli import main
    from tests.test_readme import readme_block, run_expressions

    frame = mixed_table(300, seed=21)
    frame.loc[:4, "debt"] = 1700.0
    monkeypatch.chdir(tmp_path)
    frame.to_csv("table.csv", index=False)
    assert main(["detect", "table.csv", "--contamination", "auto", "--explain", "3", "--out", "flagged.csv", "--quiet"]) == 0
    (top,) = run_expressions(readme_block("explain(detector, table, top=3)"), {})
    flagged = pd.read_csv("flagged.csv")
    assert reason_texts(top) == [list(row) for row in flagged[["why_1", "why_2", "why_3"]].to_numpy()]
    assert (top["feature_1"][:5] == "debt").all()


def test_the_auto_threshold_keeps_scores_tied_at_the_cut_clear_of_it():
    scores = np.r_[np.linspace(0.0, 1.0, 95), [1.0, 1.0, 1.0, 1.01, 1.02]]  # the top 3 % ends inside the tie at 1.0
    threshold = auto_threshold(scores)
    assert (scores > threshold).sum() == 2
    assert threshold == pytest.approx(1.005)  # not 1.0, where rounding in another batch would flag the tied rows


def test_a_frames_contributions_come_in_its_own_column_order():
    # a text column between numeric ones came last (the encoding's order), so contributions taken
    # by position (to_numpy, beside X) were put against the wrong columns
    frame = mixed_table(200, seed=11)[["region", "age", "income", "rent", "debt"]].assign(id=np.arange(200))
    frame = frame[["age", "region", "id", "income", "rent", "debt"]]
    with pytest.warns(UserWarning, match="'id' is an identifier"):
        detector = small_detector(5).fit(frame)
    table = detector.explain(frame.iloc[:10])
    assert list(table.columns) == ["age", "region", "income", "rent", "debt"]
    np.testing.assert_allclose(table.sum(axis=1) + table.attrs["offset"], -detector.score_samples(frame.iloc[:10]), rtol=1e-5)
    by_error = detector.explain(frame.iloc[:10], method="error")
    assert list(by_error.columns) == list(table.columns)


def test_a_headerless_frames_contributions_are_named_by_its_integer_labels():
    # they were named '0', '1', ...: frame[contributions.columns] raised a KeyError
    frame = mixed_table(120, seed=12).set_axis(range(5), axis=1)  # as pandas.read_csv(header=None) names them
    detector = small_detector(3).fit(frame)
    table = detector.explain(frame.iloc[:4])
    assert list(table.columns) == [0, 1, 2, 3, 4] and frame[table.columns].shape == (120, 5)
    np.testing.assert_allclose(table.sum(axis=1) + table.attrs["offset"], -detector.score_samples(frame.iloc[:4]), rtol=1e-5)
    top = detector.explain(frame.iloc[:4], top=2)
    assert set(top["feature_1"]) | set(top["feature_2"]) <= {0, 1, 2, 3, 4}


def test_the_only_column_of_a_one_column_table_has_the_whole_score():
    # `aekit detect --criterion latent --explain 1` on one column read 'a = 0.64 (expected 1.07; 0% of the score)' for
    # every row scored below the offset: its only, negative, contribution had no positive total to be a share of
    from aekit.app.detection_report import reason_texts

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"a": rng.normal(size=60)})
    detector = small_detector(2, criterion="latent").fit(table)
    top = explain(detector, table, top=1)
    assert (explain(detector, table)["a"] < 0).any()
    assert (top["feature_1"] == "a").all() and (top["share_1"] == 1.0).all()
    assert reason_texts(top.head(1))[0][0].endswith("; 100% of the score)")


def test_reasons_keep_every_digit_before_the_point():
    # `aekit detect --explain` read 'income = 1.074e+04 (expected 4.287e+04; ...)': the cell's value was lost
    from aekit.app.detection_report import reason_texts

    top = pd.DataFrame({"feature_1": ["income", "rate", "region"], "observed_1": [10742.0, 0.0123456, "north"],
                        "expected_1": [42871.33, 1234.5678, "south"], "share_1": [0.39, 0.5, 0.11]})
    assert reason_texts(top) == [["income = 10742 (expected 42871; 39% of the score)"],
                                 ["rate = 0.01235 (expected 1235; 50% of the score)"],
                                 ["region = north (expected south; 11% of the score)"]]


def test_a_true_false_value_reads_as_true_or_false_in_the_reasons():
    # `aekit detect --explain` on a TRUE/FALSE column wrote 'active = 1 (expected 0.356; ...)': a bool was shown as a number
    from aekit.app.detection_report import reason_texts

    top = pd.DataFrame({"feature_1": ["active", "active"], "observed_1": [True, np.False_], "expected_1": [False, np.True_],
                        "share_1": [0.5, 0.25]})
    assert reason_texts(top) == [["active = True (expected False; 50% of the score)"],
                                 ["active = False (expected True; 25% of the score)"]]


@pytest.mark.parametrize("drop", ["first", "if_binary"])
def test_a_pipeline_whose_one_hot_encoder_drops_a_category_names_the_expected_one(drop):
    # with OneHotEncoder(drop='first') a 'green' row (85 % of rows; 'red' is the one column kept) was explained as
    # 'colour = green (expected red)' by every method, though the reconstruction of 'red' was 0.00: the encoder's
    # inverse_transform names the dropped category only for entries exactly 0
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green"], 300, p=[0.15, 0.85])
    a = rng.normal(size=300) + 2 * (colour == "red")
    table = pd.DataFrame({"a": a, "b": 2 * a + rng.normal(scale=0.1, size=300), "colour": colour})
    columns = ColumnTransformer([("num", StandardScaler(), ["a", "b"]), ("cat", OneHotEncoder(drop=drop, sparse_output=False), ["colour"])])
    pipe = make_pipeline(columns, AutoEncoderOutlierDetector(random_state=0)).fit(table)
    rows = table[:40]
    red = pipe[-1].autoencoder_.reconstruct(pipe[:-1].transform(rows))[:, 2]  # the kept column's expectation
    for method in ("conditional", "error", "gradient"):
        reasons = explain(pipe, rows, top=3, method=method)
        expected = pd.concat([reasons.loc[reasons[f"feature_{k}"] == "colour", f"expected_{k}"] for k in (1, 2, 3)]).sort_index()
        if method != "conditional":  # the reconstruction, which the conditional method replaces by its own expectation
            assert expected.tolist() == np.where(red > 0.5, "red", "green").tolist()
        assert (expected[rows["colour"] == "green"] == "green").mean() > 0.9


def test_a_bool_column_is_explained_by_a_value_it_takes_not_a_share(tmp_path, capsys):
    # explain and `aekit detect --explain` read 'active = False (expected 0.979; ...)': the reconstruction of the
    # column's 0s and 1s, a share of True, which no row can hold; a bool column is now expected True or False
    from aekit.app.detection_report import reason_texts
    from aekit.cli import main

    rng = np.random.default_rng(0)
    z = rng.normal(size=300)
    table = pd.DataFrame({"spend": 50 + 10 * z + rng.normal(size=300), "visits": 5 + 2 * z + rng.normal(size=300),
                          "active": rng.random(300) < 0.9})
    rare = table.index[~table["active"]]
    detector = AutoEncoderOutlierDetector(AutoEncoder(max_epochs=20, hidden_dims=(16,), verbose=0), random_state=0).fit(table)
    top = explain(detector, table, top=3)
    said = reason_of(top, "active", "expected")
    assert all(isinstance(v, (bool, np.bool_)) for v in said), said.head()
    assert (top.loc[rare, "feature_1"] == "active").mean() > 0.8
    assert (top.loc[rare, "expected_1"][top.loc[rare, "feature_1"] == "active"] == True).all()  # noqa: E712
    texts = reason_texts(top.loc[rare])
    assert sum(t[0].startswith("active = False (expected True; ") for t in texts) > 0.8 * len(rare)
    table.to_csv(tmp_path / "t.csv", index=False)
    assert main(["detect", str(tmp_path / "t.csv"), "--explain", "1", "--out", str(tmp_path / "flagged.csv"),
                 "--epochs", "20", "--quiet"]) == 0
    whys = pd.read_csv(tmp_path / "flagged.csv")["why_1"]
    active = whys[whys.str.startswith("active = ")]
    assert len(active) > 0 and active.str.match(r"^active = (True|False) \(expected (True|False); ").all(), active.head()


def plans(n: int, seed: int) -> pd.DataFrame:
    """Two correlated numeric columns and a 'plan' drawn apart from them: 80 % 'basic', 20 % 'pro'."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    return pd.DataFrame({"visits": 20 + 5 * z + 0.5 * rng.normal(size=n), "spend": 300 + 80 * z + 8 * rng.normal(size=n),
                         "plan": np.where(rng.random(n) < 0.8, "basic", "pro")})


def reason_of(top: pd.DataFrame, feature: str, field: str) -> pd.Series:
    """Each row's `field` (rank, expected, share) of `feature` among the reasons of `top`."""
    ranks = [k for k in range(1, 100) if f"feature_{k}" in top.columns]
    picked = [top[f"feature_{k}"] == feature for k in ranks]
    if field == "rank":
        return pd.Series(np.select(picked, ranks, default=0), index=top.index)
    return pd.Series(np.select(picked, [top[f"{field}_{k}"] for k in ranks], default=None), index=top.index)


def test_a_column_drawn_apart_from_the_others_is_no_first_reason_of_rows_holding_its_common_category():
    # rows scored below the offset (every contribution negative) listed 'plan = basic (expected basic; 0% of the
    # score)' first, before the column with most of the score: reasons were ranked by signed contribution while
    # their shares are sizes; on these rows plan was the first reason of 36 % of the 'basic' rows
    table = plans(200, seed=0)
    detector = AutoEncoderOutlierDetector(criterion="latent", random_state=0).fit(table)
    top = explain(detector, table, top=3)
    basic = table["plan"] == "basic"
    assert (reason_of(top, "plan", "expected")[basic] == "basic").mean() >= 0.9
    assert (explain(detector, table)["plan"][basic] == 0).mean() >= 0.9
    assert (reason_of(top, "plan", "rank")[basic] == 1).mean() <= 0.05
    shares = top[["share_1", "share_2", "share_3"]].to_numpy()
    assert (np.diff(shares, axis=1) <= 1e-12).all()


def test_a_lone_one_hot_column_in_a_group_reads_as_the_category_only_where_the_row_holds_it():
    # groups={'plan': ['plan_pro']} (plan one-hot encoded with its first category dropped) read every row as 'pro',
    # 'plan = pro (expected pro)' also for a 'basic' row, whose plan_pro is 0: a lone column was read as the category
    # of its largest entry, which is its only one
    table = plans(300, seed=0)
    X = np.column_stack([StandardScaler().fit_transform(table[["visits", "spend"]]), table["plan"] == "pro"]).astype(float)
    names = ["visits", "spend", "plan_pro"]
    detector = AutoEncoderOutlierDetector(random_state=0).fit(X)
    top = detector.explain(X, top=3, feature_names=names, groups={"plan": ["plan_pro"]}, method="error")
    observed, expected = reason_of(top, "plan", "observed"), reason_of(top, "plan", "expected")
    pro = table["plan"] == "pro"
    assert (observed[pro] == "pro").all() and (observed[~pro] == "not pro").all()
    assert (expected[~pro] == "not pro").mean() >= 0.9 and (expected[pro] == "pro").mean() >= 0.9
    conditional = detector.explain(X, top=3, feature_names=names, groups={"plan": [2]})
    assert (reason_of(conditional, "plan", "observed") == observed).all()


def test_a_lone_one_hot_column_at_the_category_expected_takes_no_share_of_the_score():
    # with OneHotEncoder(drop='first') a 'plan' drawn apart from the rest took a share from rows holding 'basic',
    # the category the model expected, 'plan = basic (expected basic; 89% of the score)', first reason of 11 % of them: the expected category's own
    # distance was left out of a group of several columns only
    table = plans(300, seed=0)
    columns = ColumnTransformer([("num", StandardScaler(), ["visits", "spend"]), ("cat", OneHotEncoder(drop="first"), ["plan"])])
    pipe = make_pipeline(columns, AutoEncoderOutlierDetector(random_state=0)).fit(table)
    basic = table["plan"] == "basic"
    top = explain(pipe, table, top=3)
    assert (reason_of(top, "plan", "expected")[basic] == "basic").mean() >= 0.9
    assert (explain(pipe, table)["plan"][basic] == 0).mean() >= 0.9
    assert (reason_of(top, "plan", "rank")[basic] == 1).mean() <= 0.05
    Xt = pipe[:-1].transform(table)
    names = ["visits", "spend", "plan_pro"]
    grouped = pipe[-1].explain(Xt, feature_names=names, groups={"plan": ["plan_pro"]})
    assert (grouped["plan"][basic.to_numpy()] == 0).mean() >= 0.9
    np.testing.assert_allclose(grouped.sum(axis=1) + grouped.attrs["offset"], -pipe[-1].score_samples(Xt), rtol=1e-6)


def test_a_true_false_column_at_the_value_expected_takes_no_share_of_the_score():
    # a True/False column drawn apart from the rest took a share from rows holding the value the model expected,
    # 'pro = False (expected False; 90% of the score)', the first reason of 13 % of the False rows: like a lone
    # one-hot column it holds one of two values, but its expected value's own distance was not left out
    table = plans(300, seed=0)
    table["pro"] = table.pop("plan") == "pro"
    detector = AutoEncoderOutlierDetector(random_state=0).fit(table)
    top = explain(detector, table, top=3)
    basic = ~table["pro"]
    assert (reason_of(top, "pro", "expected")[basic] == False).mean() >= 0.9  # noqa: E712
    assert (explain(detector, table)["pro"][basic] == 0).mean() >= 0.9
    assert (reason_of(top, "pro", "rank")[basic] == 1).mean() <= 0.05
    full = explain(detector, table)
    np.testing.assert_allclose(full.sum(axis=1) + full.attrs["offset"], -detector.score_samples(table), rtol=1e-6)


def test_a_row_holding_no_category_of_its_group_reads_as_none_of_them():
    # groups={'plan': ['plan_plus', 'plan_pro']} ('basic' dropped, 80 % of rows) read every basic row, whose entries
    # are both 0, as 'plus', the first column of the group, and its expectation as plus or pro
    rng = np.random.default_rng(0)
    table = plans(300, seed=0)
    table["plan"] = rng.choice(["basic", "plus", "pro"], size=300, p=[0.8, 0.12, 0.08])
    X = np.column_stack([StandardScaler().fit_transform(table[["visits", "spend"]]),
                         table["plan"] == "plus", table["plan"] == "pro"]).astype(float)
    detector = AutoEncoderOutlierDetector(random_state=0).fit(X)
    top = detector.explain(X, top=3, feature_names=["visits", "spend", "plan_plus", "plan_pro"],
                           groups={"plan": ["plan_plus", "plan_pro"]})
    observed, expected = reason_of(top, "plan", "observed"), reason_of(top, "plan", "expected")
    basic = table["plan"] == "basic"
    assert (observed[basic] == "none of plus, pro").all()
    assert (observed[~basic] == table["plan"][~basic]).all()
    assert (expected[basic] == "none of plus, pro").mean() >= 0.9
