"""One detector and one table encoding for Python and the command line (issue 33, items 1, 2
and 5): `aekit detect` trains `AutoEncoderOutlierDetector()` with its defaults; identifier and
constant columns are left out of the model with a warning, or named with --ignore / --id-column
/ `ignore_columns`, and carried through to the output; DataFrames with text columns are
encoded the way the command encodes them, and the fitted detector saves and loads."""

from __future__ import annotations

import json
import re

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import is_classifier
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from aekit import AutoEncoder, AutoEncoderImputer, AutoEncoderOutlierDetector
from aekit.cli import main
from aekit.data.datasets import read_csv_frame
from aekit.data.tabular import DetectionEncoding
from aekit.estimators.outlier import default_autoencoder
from tests.harness.input_checks import tiny_estimators

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FAST_CLI = ["--quiet", "--epochs", "8", "--set", "hidden_dims=[16]"]


@pytest.fixture
def few_partner_trees(monkeypatch):
    """Trees blend partners of 5 extra-trees per column and round, not 30: the tests that use it read
    how a saved imputer matches columns, which its partner follows at any size."""
    from aekit.estimators import _blend

    monkeypatch.setattr(_blend, "PARTNER_TREES", 5)


def fast_detector(n_rows: int, **params) -> AutoEncoderOutlierDetector:
    """What `aekit detect` trains with FAST_CLI on n_rows rows."""
    return AutoEncoderOutlierDetector(default_autoencoder(n_rows).set_params(max_epochs=8, hidden_dims=(16,)),
                                      random_state=0, **params)


def patients(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A one-factor table with planted outliers in its first rows, a text column, and no
    identifier."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    frame = pd.DataFrame({"pressure": 120 + 10 * z + rng.normal(size=n), "weight": 70 + 8 * z + rng.normal(size=n),
                          "dose": 2 * z + 0.3 * rng.normal(size=n)})
    frame.loc[:7, "weight"] = 70 - 24 * z[:8]
    frame["region"] = np.where(z > 0, "north", "south")
    return frame


def with_id(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(patient_id=np.arange(1, len(frame) + 1))[["patient_id", *frame.columns]]


def fit_quietly(est, X):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X)
    return est, [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


# ---- item 1: one detector -----------------------------------------------------------------


def test_detect_trains_the_python_detector_with_its_defaults(tmp_path, capsys):
    frame = patients(260, seed=1)[["pressure", "weight", "dose"]]
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert main(["detect", str(tmp_path / "t.csv"), "--out", str(tmp_path / "o.csv"), "--quiet"]) == 0
    assert "contamination 0.1;" in capsys.readouterr().out
    flagged = pd.read_csv(tmp_path / "o.csv")
    detector = AutoEncoderOutlierDetector(random_state=0).fit(pd.read_csv(tmp_path / "t.csv"))
    np.testing.assert_allclose(flagged["outlier_score"], -detector.score_samples(frame), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(flagged["outlier"], detector.predict(frame) == -1)
    assert flagged["outlier"].sum() == 26  # the Python default contamination, 0.1


# ---- item 5: one table encoding -----------------------------------------------------------


def test_the_detector_takes_a_text_column_like_detect_and_saves_it(tmp_path):
    frame = patients()
    frame.to_csv(tmp_path / "t.csv", index=False)
    detector = fast_detector(len(frame)).fit(frame)
    scores = detector.score_samples(frame)
    assert np.isfinite(scores).all() and set(detector.predict(frame)) == {-1, 1}
    assert (-scores[:8]).mean() > np.quantile(-scores, 0.9)
    loaded = AutoEncoderOutlierDetector.load(detector.save(tmp_path / "model"))
    np.testing.assert_allclose(loaded.score_samples(frame), scores, rtol=1e-6)
    pd.testing.assert_frame_equal(loaded.explain(frame, top=2), detector.explain(frame, top=2))
    assert not any((tmp_path / "model").rglob("*.pkl")) and not any((tmp_path / "model").rglob("*.pickle"))
    assert main(["detect", str(tmp_path / "t.csv"), "--out", str(tmp_path / "o.csv"), *FAST_CLI]) == 0
    np.testing.assert_allclose(pd.read_csv(tmp_path / "o.csv")["outlier_score"], -scores, rtol=1e-5, atol=1e-6)


TAKE_TEXT = {"AutoEncoderOutlierDetector", "AutoEncoderImputer"}  # the rest refuse text columns, naming them


def regions(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """Two correlated measurements, a text column 'region' and an identifier 'id'."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    return pd.DataFrame({"id": np.arange(1, n + 1), "a": z + 0.1 * rng.normal(size=n), "b": 2 * z + 0.1 * rng.normal(size=n),
                         "region": np.where(z > 0, "north", "south")})


def fit_any(est, X):
    """Fit `est` on X (with alternating labels for a classifier); the UserWarnings it gave."""
    labels = np.arange(len(X)) % 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, labels) if is_classifier(est) else est.fit(X)
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("name", sorted(tiny_estimators()))
def test_every_estimator_takes_text_columns_like_detect_or_refuses_naming_them(name):
    est, frame = tiny_estimators()[name](), regions()
    if name not in TAKE_TEXT:
        with pytest.raises(ValueError, match=r"text or category columns \['region'\].*DetectionEncoding"):
            est.fit(frame, np.arange(len(frame)) % 2) if is_classifier(est) else est.fit(frame)
        return
    messages = fit_any(est, frame)
    assert any("'id' is an identifier" in m for m in messages)
    assert est.n_features_in_ == 4
    out = est.transform(frame) if hasattr(est, "transform") else est.score_samples(frame)
    assert len(out) == len(frame)
    if name == "AutoEncoderOutlierDetector":
        assert np.isfinite(out).all() and est.table_.feature_names() == ["a", "b", "region=north", "region=south"]


@pytest.mark.parametrize("name", sorted(n for n in tiny_estimators() if n not in TAKE_TEXT))
def test_an_identifier_used_as_a_feature_is_warned_about(name):
    est = tiny_estimators()[name]()
    params = est.get_params(deep=False)
    if "channels" in params and params.get("backbone", "conv") == "conv":
        pytest.skip("an image model: a three-column table is not an image")
    messages = fit_any(est, regions().drop(columns="region"))
    assert any(m.startswith(f"{name}: X's columns ['id'] look like identifiers") for m in messages), messages


@pytest.mark.parametrize("name", ["AutoEncoder", "AutoEncoderOutlierDetector"])
def test_the_identifier_warning_points_at_the_callers_line(name):
    est = make_pipeline(tiny_estimators()[name]())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(regions().drop(columns="region"))
    found = [w for w in caught if "'id'" in str(w.message)]
    assert found and all(w.filename == __file__ for w in found)


def test_the_refusals_advice_encodes_text_columns_like_the_detector():
    frame = regions().drop(columns="id")
    model = make_pipeline(DetectionEncoding(), AutoEncoder(hidden_dims=(8,), latent_dim=2, max_epochs=3, random_state=0))
    codes = model.fit(frame).transform(frame)
    assert codes.shape == (len(frame), 2) and np.isfinite(codes).all()
    detector = fast_detector(len(frame)).fit(frame)
    np.testing.assert_allclose(model[0].transform(frame), detector.table_.transform(frame), rtol=1e-6)


def test_a_detector_fitted_on_a_frame_refuses_an_array_and_missing_columns():
    frame = patients(120)
    detector = fast_detector(len(frame)).fit(frame)
    with pytest.raises(ValueError, match="fitted on a DataFrame"):
        detector.score_samples(frame.drop(columns="region").to_numpy())
    with pytest.raises(ValueError, match="region"):
        detector.score_samples(frame.drop(columns="region"))


def test_the_detector_refuses_a_column_mixing_numbers_and_text_with_advice_it_can_follow():
    frame = patients(60).astype({"weight": object})
    frame.loc[3, "weight"] = "heavy"
    detector = fast_detector(len(frame))
    with pytest.raises(ValueError, match=r"column 'weight' mixes numbers and non-numbers \(for example 'heavy'\)") as err:
        detector.fit(frame)
    assert "missing_values" not in str(err.value) and "astype(str)" in str(err.value)
    with pytest.raises(ValueError, match="missing_values='heavy'"):  # the imputer has that parameter
        AutoEncoderImputer(max_epochs=1).fit(frame)


# ---- item 2: columns that are not features ------------------------------------------------


def test_an_identifier_column_is_left_out_of_the_detector_with_a_warning():
    frame = patients()
    plain = fast_detector(len(frame)).fit(frame)
    detector, messages = fit_quietly(fast_detector(len(frame)), with_id(frame))
    assert any("'patient_id' is an identifier" in m for m in messages)
    np.testing.assert_allclose(detector.score_samples(with_id(frame)), plain.score_samples(frame), rtol=1e-6)
    assert detector.table_.dropped == {"patient_id": "an identifier (every value distinct)"}
    reasons = detector.explain(with_id(frame), top=3)
    assert "patient_id" not in set(reasons[["feature_1", "feature_2", "feature_3"]].to_numpy().ravel())
    assert "patient_id" not in detector.explain(with_id(frame)).columns


def test_an_id_counter_of_a_small_table_is_an_identifier_and_an_unnamed_counter_a_feature():
    # on fewer than 20 rows an 'id' 1..12 was a feature of the model (and a why of its outliers)
    from aekit.data.columns import non_features

    frame = patients(12).assign(id=np.arange(1, 13), PatientID=[f"P{i:02d}" for i in range(12)], visits=np.arange(3, 15))
    detector, messages = fit_quietly(fast_detector(len(frame)), frame)
    identifier = "an identifier (every value distinct)"
    assert detector.table_.dropped == {"id": identifier, "PatientID": identifier}, messages
    assert "visits" in detector.table_.columns and "pressure" in detector.table_.columns
    shuffled = frame.assign(id=np.random.default_rng(0).permutation(np.arange(1, 13)))  # codes in no order: too few rows
    assert "id" not in non_features(shuffled)


def test_distinct_real_numbers_are_a_feature_not_an_identifier():
    frame = patients()
    _, messages = fit_quietly(fast_detector(len(frame)), frame)
    assert messages == [] and frame["pressure"].is_unique


def test_whole_number_measurements_are_features_and_shuffled_codes_identifiers(tmp_path, capsys):
    # a price in whole dollars (all distinct, in no order) was taken for an identifier: left out of
    # the detector, and `aekit impute` wrote its gaps back empty
    frame = patients(80).assign(price=lambda f: (2e5 + 3e4 * f["dose"] + np.arange(80)).round(0),
                                code=np.random.default_rng(1).permutation(np.arange(1001, 1081)))
    detector, messages = fit_quietly(fast_detector(len(frame)), frame)
    assert detector.table_.dropped == {"code": "an identifier (every value distinct)"}
    assert "price" in detector.table_.columns, messages
    frame.loc[::9, "price"] = np.nan
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert main(["impute", str(tmp_path / "t.csv"), str(tmp_path / "o.csv"), *FAST_CLI, "--set", "n_members=1"]) == 0
    captured = capsys.readouterr()
    assert "'code' is an identifier" in captured.err and "'price'" not in captured.err
    written = pd.read_csv(tmp_path / "o.csv")
    assert not written["price"].isna().any() and (written["price"] == written["price"].round()).all()
    pd.testing.assert_series_equal(written["code"], frame["code"])


def test_detect_leaves_out_patient_id_and_carries_it_to_the_output(tmp_path, capsys):
    frame = patients()
    frame.to_csv(tmp_path / "plain.csv", index=False)
    with_id(frame).to_csv(tmp_path / "ids.csv", index=False)
    assert main(["detect", str(tmp_path / "plain.csv"), "--out", str(tmp_path / "plain_out.csv"), *FAST_CLI]) == 0
    capsys.readouterr()
    argv = ["detect", str(tmp_path / "ids.csv"), "--out", str(tmp_path / "ids_out.csv"), "--explain", "9", *FAST_CLI]
    assert main(argv) == 0
    assert "'patient_id' is an identifier" in capsys.readouterr().err
    plain, ids = pd.read_csv(tmp_path / "plain_out.csv"), pd.read_csv(tmp_path / "ids_out.csv")
    np.testing.assert_allclose(ids["outlier_score"], plain["outlier_score"], rtol=1e-6)
    assert ids["patient_id"].tolist() == list(range(1, len(frame) + 1))
    assert not ids[["why_1", "why_2", "why_3"]].apply(lambda c: c.str.contains("patient_id")).any().any()
    assert [c for c in ids.columns if c.startswith("why_")] == ["why_1", "why_2", "why_3", "why_4"]  # no empty why_5..9
    assert ids["why_4"].notna().all()


def test_an_identifier_found_on_its_own_names_the_rows_in_the_summary(tmp_path, capsys):
    # the summary named the top rows by position ('row 41') beside a patient_id column it had found
    # (and with a gap among the ids, which makes a CSV's integers floats, as 'patient_id 1001.0')
    frame = with_id(patients())
    frame["patient_id"] = (frame["patient_id"] + 1000).mask(frame.index == 150)
    frame.to_csv(tmp_path / "ids.csv", index=False)
    assert main(["detect", str(tmp_path / "ids.csv"), *FAST_CLI]) == 0
    listed = [line.split(":")[0].strip() for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert listed and all(re.fullmatch(r"patient_id 1\d{3}", name) for name in listed), listed


def test_id_column_names_the_rows_in_the_summary(tmp_path, capsys):
    frame = patients().assign(record=[f"R{i:04d}" for i in range(300)])
    frame.loc[:1, "record"] = "dup"  # not all distinct, so not found on its own
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert main(["detect", str(tmp_path / "t.csv"), "--id-column", "record", *FAST_CLI]) == 0
    out = capsys.readouterr()
    assert "record R00" in out.out and "record" not in out.err
    assert main(["detect", str(tmp_path / "t.csv"), "--id-column", "nope", *FAST_CLI]) == 1
    assert "--id-column names 'nope'" in capsys.readouterr().err


def test_detect_out_refuses_to_overwrite_a_column_of_the_table(tmp_path, capsys):
    frame = patients(n=60).assign(outlier=lambda f: np.where(f.index % 2, "yes", "no"), why_2="note")
    frame.to_csv(tmp_path / "t.csv", index=False)
    args = ["detect", str(tmp_path / "t.csv"), "--out", str(tmp_path / "o.csv"), *FAST_CLI]
    assert main(args) == 1
    assert "already has a column 'outlier', which --out would overwrite" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()
    assert main([*args, "--explain", "2", "--ignore", "outlier"]) == 1
    assert "already has the columns 'outlier', 'why_2'" in capsys.readouterr().err
    assert main(["detect", str(tmp_path / "t.csv"), *FAST_CLI]) == 0  # nothing written, nothing overwritten


def test_a_parquet_files_named_index_is_kept_in_the_outputs_a_csvs_first_column_a_parquet_files_index(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    frame = patients(n=60).assign(patient=[f"P{i:03d}" for i in range(60)]).set_index("patient")
    frame.to_parquet(tmp_path / "t.parquet")
    assert main(["detect", str(tmp_path / "t.parquet"), "--out", str(tmp_path / "o.csv"), "--id-column", "patient",
                 *FAST_CLI]) == 0
    assert "patient P0" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / "o.csv")["patient"].tolist() == frame.index.tolist()
    frame.iloc[::5, 0] = np.nan
    frame.to_parquet(tmp_path / "gaps.parquet")
    assert main(["impute", str(tmp_path / "gaps.parquet"), str(tmp_path / "filled.parquet"), *FAST_CLI]) == 0
    filled = pd.read_parquet(tmp_path / "filled.parquet")
    assert filled.index.equals(frame.index) and filled.notna().all().all()
    # a filtered frame's unnamed index (0, 2, 4, ...) came back as 0, 1, 2, ...: joined on it, the flags of row 2
    # went to row 1; and the summary named rows by position
    kept = frame.dropna().reset_index(drop=True).iloc[1::2]
    kept.to_parquet(tmp_path / "kept.parquet")
    capsys.readouterr()
    assert main(["detect", str(tmp_path / "kept.parquet"), "--out", str(tmp_path / "flags.parquet"), *FAST_CLI]) == 0
    flags = pd.read_parquet(tmp_path / "flags.parquet")
    assert flags.index.equals(kept.index) and flags["dose"].equals(kept["dose"])
    top = flags["outlier_score"].idxmax()
    assert f"  row {top}: outlier_score" in capsys.readouterr().out and top % 2 == 1


def test_impute_and_detect_write_a_tables_own_row_labels_to_a_csv_as_read(tmp_path, capsys):
    # a CSV written with its index (empty first header) came back with a column 'Unnamed: 0', and a Parquet
    # file's unnamed labels (5, 2, 9, ...) were left out of a CSV output, which Parquet output kept
    pytest.importorskip("pyarrow")
    frame = patients(n=40).drop(columns="region").iloc[::-2]  # labels 39, 37, ..., 1
    frame.to_csv(tmp_path / "t.csv")
    frame.to_parquet(tmp_path / "t.parquet")
    gaps = frame.assign(dose=frame["dose"].where(frame.index % 3 > 0))
    gaps.to_csv(tmp_path / "g.csv")
    fast = ["--quiet", "--epochs", "1", "--set", "hidden_dims=[4]"]
    for source in ("t.csv", "t.parquet"):
        assert main(["detect", str(tmp_path / source), "--out", str(tmp_path / "d.csv"), *fast]) == 0
        written = pd.read_csv(tmp_path / "d.csv", index_col=0)
        assert list(written.columns[:3]) == list(frame.columns) and written.index.tolist() == frame.index.tolist()
        assert (tmp_path / "d.csv").read_text().startswith(",pressure,weight,dose,outlier_score"), source
    assert main(["impute", str(tmp_path / "g.csv"), str(tmp_path / "i.csv"), *fast, "--set", "n_members=1"]) == 0
    assert (tmp_path / "i.csv").read_text().splitlines()[0] == ",pressure,weight,dose"
    filled = pd.read_csv(tmp_path / "i.csv", index_col=0)
    assert filled.index.tolist() == frame.index.tolist() and filled.notna().all().all()
    assert "Unnamed" not in capsys.readouterr().err


def test_the_detect_report_names_the_flagged_rows_by_their_id(tmp_path, capsys):
    frame = with_id(patients()).assign(patient_id=lambda f: 100_000 + 7 * f["patient_id"])
    frame.to_csv(tmp_path / "t.csv", index=False)
    args = ["detect", str(tmp_path / "t.csv"), "--id-column", "patient_id", "--out", str(tmp_path / "o.csv"),
            "--report", str(tmp_path / "report"), *FAST_CLI]
    assert main(args) == 0
    capsys.readouterr()
    written = pd.read_csv(tmp_path / "o.csv")
    assert written["patient_id"].tolist() == frame["patient_id"].tolist()
    top = written.sort_values("outlier_score", ascending=False, kind="stable").head(20)
    page = (tmp_path / "report" / "report.html").read_text()
    assert "<th>patient_id</th>" in page and "each shown with its patient_id" in page
    for row, pid in zip(top.index, top["patient_id"]):  # data rows counted from 1, as refusals count them
        assert f'<td class="num">{row + 1}</td><td>{pid}</td>' in page


def test_a_constant_column_is_warned_about_and_dropped(tmp_path, capsys):
    frame = patients()
    plain = fast_detector(len(frame)).fit(frame)
    detector, messages = fit_quietly(fast_detector(len(frame)), frame.assign(site="A", version=3.0))
    assert any("'site' is constant" in m and "'version' is constant" in m for m in messages)
    np.testing.assert_allclose(detector.score_samples(frame.assign(site="A", version=3.0)), plain.score_samples(frame),
                               rtol=1e-6)
    frame.assign(site="A").to_csv(tmp_path / "t.csv", index=False)
    assert main(["detect", str(tmp_path / "t.csv"), *FAST_CLI]) == 0
    assert "'site' is constant" in capsys.readouterr().err


def test_an_empty_column_is_left_out_of_the_detector_as_detect_and_the_imputer_drop_it():
    # the detector refused it: "columns ['notes'] have missing values ... fill them first"
    frame = patients(40)
    plain = fast_detector(len(frame)).fit(frame)
    detector, messages = fit_quietly(fast_detector(len(frame)), frame.assign(notes=np.nan))
    assert messages == ["AutoEncoderOutlierDetector: columns left out of the model: 'notes' is empty (no value in any "
                        "row) (ignore_columns=None keeps them)"]
    assert detector.table_.dropped == {"notes": "empty (no value in any row)"}
    np.testing.assert_allclose(detector.score_samples(frame.assign(notes=np.nan)), plain.score_samples(frame), rtol=1e-6)


def test_ignore_leaves_columns_out_on_the_command_line_and_in_python(tmp_path, capsys):
    frame = patients()
    frame.to_csv(tmp_path / "t.csv", index=False)
    without = fast_detector(len(frame)).fit(frame.drop(columns=["dose", "region"]))
    ignoring = fast_detector(len(frame), ignore_columns=["dose", "region"]).fit(frame)
    np.testing.assert_allclose(ignoring.score_samples(frame), without.score_samples(frame.drop(columns=["dose", "region"])),
                               rtol=1e-6)
    assert main(["detect", str(tmp_path / "t.csv"), "--ignore", "dose,region", "--out", str(tmp_path / "o.csv"), *FAST_CLI]) == 0
    written = pd.read_csv(tmp_path / "o.csv")
    np.testing.assert_allclose(written["outlier_score"], -ignoring.score_samples(frame), rtol=1e-5, atol=1e-6)
    pd.testing.assert_series_equal(written["dose"], frame["dose"])
    assert main(["detect", str(tmp_path / "t.csv"), "--ignore", "dose,nope", *FAST_CLI]) == 1
    assert "--ignore names 'nope'" in capsys.readouterr().err


def test_detect_lets_gaps_stay_in_the_columns_it_leaves_out(tmp_path, capsys):
    frame = with_id(patients(80)).astype({"patient_id": float}).assign(note=lambda f: np.where(f.index % 3, np.where(f.index % 2, "ok", "check"), None))
    frame.loc[4, "patient_id"] = np.nan  # an unknown identifier, left out on its own
    frame.to_csv(tmp_path / "t.csv", index=False)
    args = ["detect", str(tmp_path / "t.csv"), "--out", str(tmp_path / "o.csv"), *FAST_CLI]
    assert main(args) == 1
    # the refusal named no row, then "data row 1" where the summary names rows by their ID
    assert "'t.csv' has missing values in the column note (first in patient_id 1); fill them first" in capsys.readouterr().err.replace(str(tmp_path) + "/", "")
    assert main([*args, "--ignore", "note"]) == 0
    written = pd.read_csv(tmp_path / "o.csv")
    assert written["note"].isna().sum() == frame["note"].isna().sum() and written["patient_id"].isna().sum() == 1
    frame.loc[7, "weight"] = np.nan
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert main([*args, "--ignore", "note"]) == 1
    # named 'data row 8' where the summary names rows by their ID, as train's refusal does
    assert "missing values in the column weight (first in patient_id 8);" in capsys.readouterr().err


def test_ignore_columns_is_validated_naming_it():
    frame = patients(60)
    with pytest.raises(InvalidParameterError, match="ignore_columns"):
        AutoEncoderOutlierDetector(ignore_columns=3).fit(frame)
    with pytest.raises(ValueError, match="ignore_columns names \\['nope'\\]"):
        fast_detector(60, ignore_columns=["nope"]).fit(frame)
    with pytest.raises(ValueError, match="ignore_columns names columns, so X must be a DataFrame"):
        fast_detector(60, ignore_columns=["dose"]).fit(frame[["pressure", "dose"]].to_numpy())
    with pytest.raises(ValueError, match="ignore_columns names columns"):
        AutoEncoderImputer(ignore_columns=["dose"], max_epochs=1).fit(frame[["pressure", "dose"]].to_numpy())
    with pytest.raises(ValueError, match="every column is left out"):
        fast_detector(60, ignore_columns=["pressure", "weight", "dose", "region"]).fit(frame)


def test_a_table_with_no_column_left_is_refused_in_the_commands_own_terms(tmp_path, capsys):
    # the commands answered "pass ignore_columns=None to keep them", a parameter they do not have
    pd.DataFrame({"a": [1.5] * 50, "b": [2.0] * 50}).to_csv(tmp_path / "same.csv", index=False)
    assert main(["detect", str(tmp_path / "same.csv"), *FAST_CLI]) == 1
    err = capsys.readouterr().err
    assert "same.csv': every column is left out of the model, so none is left to learn from: 'a' is constant; " \
           "'b' is constant" in err and "ignore_columns" not in err, err
    pd.DataFrame({"a": [1.0, None, 1.0, 1.0], "kind": ["x", "x", None, "x"]}).to_csv(tmp_path / "gaps.csv", index=False)
    args = ["impute", str(tmp_path / "gaps.csv"), str(tmp_path / "o.csv"), *FAST_CLI, "--set", "n_members=1"]
    assert main(args) == 1
    assert "'kind' is constant (--set ignore_columns=null keeps them)" in capsys.readouterr().err
    assert main([*args, "--set", "ignore_columns=null"]) == 0
    assert pd.read_csv(tmp_path / "o.csv").to_numpy().tolist() == [[1.0, "x"]] * 4
    assert main(["detect", str(tmp_path / "gaps.csv"), "--ignore", "a,kind", *FAST_CLI]) == 1
    assert "'a' is named by --ignore or --id-column; 'kind' is named by" in capsys.readouterr().err


def test_a_saved_model_reads_a_table_whose_columns_come_in_another_order(tmp_path, capsys, few_partner_trees):
    # --fitted on the same columns in another order was refused with "The feature names should
    # match those that were passed during fit"; a table's columns are matched by name now
    frame = patients(80).assign(visits=np.random.default_rng(3).integers(0, 9, 80).astype(float))
    frame.loc[::7, "visits"] = np.nan
    frame.loc[::5, "dose"] = np.nan
    frame = frame.astype({"visits": "Int64"})  # written 4, not 4.0, so read back as whole counts with gaps
    frame.to_csv(tmp_path / "t.csv", index=False)
    shuffled = frame[["visits", "region", "dose", "weight", "pressure"]]
    shuffled.to_csv(tmp_path / "s.csv", index=False)
    impute = ["impute", *FAST_CLI, "--set", "n_members=1"]
    assert main([*impute, str(tmp_path / "t.csv"), str(tmp_path / "o.csv"), "--save", str(tmp_path / "imp")]) == 0
    assert main([*impute[:2], str(tmp_path / "s.csv"), str(tmp_path / "so.csv"), "--fitted", str(tmp_path / "imp")]) == 0
    filled, reordered = pd.read_csv(tmp_path / "o.csv"), pd.read_csv(tmp_path / "so.csv")
    assert list(reordered.columns) == list(shuffled.columns)
    pd.testing.assert_frame_equal(reordered, filled[shuffled.columns])
    assert reordered["dose"].round().ne(reordered["dose"]).any() and reordered["visits"].dtype == np.int64
    complete = filled.drop(columns="visits")
    complete.to_csv(tmp_path / "c.csv", index=False)
    complete[["region", "dose", "pressure", "weight"]].to_csv(tmp_path / "cs.csv", index=False)
    detect = ["detect", "--quiet", "--explain", "1"]
    assert main([*detect, *FAST_CLI[1:], str(tmp_path / "c.csv"), "--out", str(tmp_path / "d.csv"), "--save", str(tmp_path / "det")]) == 0
    assert main([*detect, str(tmp_path / "cs.csv"), "--out", str(tmp_path / "ds.csv"), "--fitted", str(tmp_path / "det")]) == 0
    scored, rescored = pd.read_csv(tmp_path / "d.csv"), pd.read_csv(tmp_path / "ds.csv")
    assert list(rescored.columns[:4]) == ["region", "dose", "pressure", "weight"]
    pd.testing.assert_frame_equal(rescored[scored.columns], scored)
    # a headerless file was refused with scikit-learn's "Feature names unseen at fit time: x0, ..."; its columns are
    # the fitted ones in order, whether --no-header says so or the first row is read as data
    frame.to_csv(tmp_path / "tn.csv", index=False, header=False)
    complete.to_csv(tmp_path / "cn.csv", index=False, header=False)
    assert main([*impute[:2], str(tmp_path / "tn.csv"), str(tmp_path / "on.csv"), "--fitted", str(tmp_path / "imp"),
                 "--no-header"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "on.csv", header=None, names=filled.columns), filled)  # no header, as read
    capsys.readouterr()
    assert main([*detect, str(tmp_path / "cn.csv"), "--out", str(tmp_path / "dn.csv"), "--fitted", str(tmp_path / "det")]) == 0
    assert "first row looks like data" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "dn.csv", header=None, names=scored.columns), scored)


def test_a_saved_model_leaves_out_a_column_it_was_not_fitted_on_and_writes_it_back(tmp_path, capsys, few_partner_trees):
    # --fitted on a table with one more column was refused ('Feature names unseen at fit time'), and
    # --ignore is refused with --fitted: the file had to be edited first
    frame = patients(80)
    frame.loc[::5, "dose"] = np.nan
    frame.to_csv(tmp_path / "t.csv", index=False)
    more = frame.assign(note=np.where(np.arange(80) % 3, "ok", None))[["note", "region", "dose", "weight", "pressure"]]
    more.to_csv(tmp_path / "m.csv", index=False)
    impute = ["impute", *FAST_CLI, "--set", "n_members=1"]
    assert main([*impute, str(tmp_path / "t.csv"), str(tmp_path / "o.csv"), "--save", str(tmp_path / "imp")]) == 0
    capsys.readouterr()
    assert main([*impute[:2], str(tmp_path / "m.csv"), str(tmp_path / "mo.csv"), "--fitted", str(tmp_path / "imp")]) == 0
    assert "column 'note' of " in capsys.readouterr().err
    # one lacking a fitted column gave scikit-learn's "X: The feature names should match ..."; it is now
    # refused in the words of a run's commands
    more.drop(columns="weight").to_csv(tmp_path / "lacking.csv", index=False)
    refusal = "does not have the columns the model was trained on (pressure, weight, dose, region): missing weight; unexpected note\n"
    assert main([*impute[:2], str(tmp_path / "lacking.csv"), str(tmp_path / "lo.csv"), "--fitted", str(tmp_path / "imp")]) == 1
    assert capsys.readouterr().err == f"aekit impute: error: {str(tmp_path / 'lacking.csv')!r} {refusal}"
    filled, more_filled = pd.read_csv(tmp_path / "o.csv"), pd.read_csv(tmp_path / "mo.csv")
    assert list(more_filled.columns) == list(more.columns)
    pd.testing.assert_frame_equal(more_filled[frame.columns], filled)
    assert more_filled["note"].isna().sum() == more["note"].isna().sum()
    complete = filled.assign(note=more["note"])
    complete.drop(columns="note").to_csv(tmp_path / "c.csv", index=False)
    complete.to_csv(tmp_path / "cm.csv", index=False)
    detect = ["detect", "--quiet"]
    assert main([*detect, *FAST_CLI[1:], str(tmp_path / "c.csv"), "--out", str(tmp_path / "d.csv"), "--save", str(tmp_path / "det")]) == 0
    assert main([*detect, str(tmp_path / "cm.csv"), "--out", str(tmp_path / "dm.csv"), "--fitted", str(tmp_path / "det")]) == 0
    assert "column 'note' of " in capsys.readouterr().err
    complete.drop(columns="weight").to_csv(tmp_path / "cl.csv", index=False)
    assert main([*detect, str(tmp_path / "cl.csv"), "--fitted", str(tmp_path / "det")]) == 1
    assert capsys.readouterr().err == f"aekit detect: error: {str(tmp_path / 'cl.csv')!r} {refusal}"
    # a wrong table was refused for its gaps (detect) or for having none (impute) before its columns were named
    assert main([*detect, str(tmp_path / "lacking.csv"), "--fitted", str(tmp_path / "det")]) == 1
    assert capsys.readouterr().err == f"aekit detect: error: {str(tmp_path / 'lacking.csv')!r} {refusal}"
    complete.drop(columns=["weight", "note"]).to_csv(tmp_path / "cg.csv", index=False)
    assert main([*impute[:2], str(tmp_path / "cg.csv"), str(tmp_path / "go.csv"), "--fitted", str(tmp_path / "imp")]) == 1
    assert "does not have the columns the model was trained on (pressure, weight, dose, region): missing weight\n" in capsys.readouterr().err
    scored, rescored = pd.read_csv(tmp_path / "d.csv"), pd.read_csv(tmp_path / "dm.csv")
    pd.testing.assert_frame_equal(rescored.drop(columns="note"), scored)


def test_ignore_columns_takes_the_integer_names_of_a_headerless_frame():
    frame = patients(60).set_axis(range(4), axis=1)  # as pandas.read_csv(header=None) names them
    detector, _ = fit_quietly(fast_detector(60, ignore_columns=[2]), frame)
    assert detector.table_.dropped == {"2": "named in ignore_columns"} and detector.table_.columns == ["0", "1", "3"]
    gaps = frame.copy()
    gaps.iloc[::5, 0] = np.nan
    imputer = AutoEncoderImputer(ignore_columns=[2], max_epochs=1, n_members=1, blend=None).fit(gaps)
    assert imputer.ignored_columns_ == {"2": "named in ignore_columns"}


def test_a_number_column_holding_a_placeholder_word_is_named_in_a_warning(tmp_path):
    # pandas.read_csv keeps '?' as text, so the column came as text: the imputer and the detector one-hot encoded it as
    # a category per number, '?' one of them (the imputer left every '?' in place), without a word
    frame = patients(40).round(1)
    frame["weight"] = frame["weight"].astype(str).where(np.arange(40) % 7 > 0, "?")
    for est in (AutoEncoderImputer(hidden_dims=(8,), n_members=1, max_epochs=1, blend=None),
                AutoEncoderOutlierDetector(AutoEncoder(hidden_dims=(4,), max_epochs=1))):
        messages = fit_quietly(est, frame)[1]
        assert [m for m in messages if "holds numbers" in m] == [
            f"{type(est).__name__}: column 'weight' holds numbers and the text '?', so it is encoded as categories, one "
            f"per distinct value ({frame['weight'].nunique()}), and '?' is one of them, not a missing value; if '?' marks "
            "a missing value, make the column numbers first: X['weight'] = pandas.to_numeric(X['weight'], "
            "errors='coerce') (every text a missing value), or read the file with na_values=['?']"]
    frame.replace("?", "unknown").to_csv(tmp_path / "t.csv", index=False)
    with pytest.warns(UserWarning, match="column 'weight' holds numbers and the text 'unknown', so it is read as text"):
        read = read_csv_frame(tmp_path / "t.csv")
    assert not [m for m in fit_quietly(est, read)[1] if "holds numbers" in m]  # the reader's warning is not repeated


def test_ignore_columns_none_keeps_an_identifier_as_a_feature():
    frame = with_id(patients())
    detector, messages = fit_quietly(fast_detector(len(frame), ignore_columns=None), frame)
    assert messages == [] and detector.table_.dropped == {} and "patient_id" in detector.table_.columns


def test_the_imputer_carries_an_identifier_through_verbatim(tmp_path, capsys, few_partner_trees):
    frame = with_id(patients()).assign(patient_id=lambda f: f["patient_id"] * 7 + 1000.0, site="A")
    frame.loc[5, "patient_id"] = np.nan  # an unknown identifier stays unknown
    frame.loc[::9, "weight"] = np.nan
    frame.loc[3, "site"] = None
    imputer = AutoEncoderImputer(hidden_dims=(16,), n_members=1, max_epochs=5, random_state=0).set_output(transform="pandas")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filled = imputer.fit_transform(frame)
    assert any("'patient_id' is an identifier" in str(w.message) for w in caught)
    pd.testing.assert_series_equal(filled["patient_id"], frame["patient_id"])
    assert filled["site"].tolist() == ["A"] * len(frame) and not filled["weight"].isna().any()
    assert set(imputer.ignored_columns_) == {"patient_id", "site"}
    loaded = AutoEncoderImputer.load(imputer.save(tmp_path / "imputer"))
    pd.testing.assert_series_equal(loaded.transform(frame)["patient_id"], frame["patient_id"])  # set_output kept by save/load
    frame.to_csv(tmp_path / "t.csv", index=False)
    argv = ["impute", str(tmp_path / "t.csv"), str(tmp_path / "o.csv"), "--quiet", "--epochs", "5", "--set", "n_members=1"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "'patient_id' is an identifier" in captured.err
    # the summary counted the filled entries only, so a file with gaps left in it read as complete
    assert "left 1 missing entry as they were in the columns left out of the model (patient_id 1)" in captured.out
    written = pd.read_csv(tmp_path / "o.csv")
    pd.testing.assert_series_equal(written["patient_id"], frame["patient_id"])


def test_impute_with_id_column_keeps_a_text_identifier(tmp_path, capsys):
    frame = patients(120).assign(code=[f"P{i % 100:03d}" for i in range(120)])  # repeats, so only named by the user
    frame.loc[::7, "dose"] = np.nan
    frame.to_csv(tmp_path / "t.csv", index=False)
    argv = ["impute", str(tmp_path / "t.csv"), str(tmp_path / "o.csv"), "--id-column", "code", "--quiet", "--epochs", "3",
            "--set", "n_members=1"]
    assert main(argv) == 0
    written = pd.read_csv(tmp_path / "o.csv")
    assert written["code"].tolist() == frame["code"].tolist() and not written["dose"].isna().any()


def test_impute_trains_the_python_imputer_with_its_defaults(tmp_path):
    frame = patients(120).drop(columns="region")
    frame.loc[::6, "dose"] = np.nan
    frame.to_csv(tmp_path / "t.csv", index=False)
    argv = ["impute", str(tmp_path / "t.csv"), str(tmp_path / "o.csv"), "--quiet", "--epochs", "3"]
    assert main(argv) == 0
    python = AutoEncoderImputer(max_epochs=3, random_state=0).fit_transform(pd.read_csv(tmp_path / "t.csv"))
    np.testing.assert_allclose(pd.read_csv(tmp_path / "o.csv").to_numpy(), python, rtol=1e-5, atol=1e-8)


def test_explain_reads_a_pandas_pipeline_whose_detector_saw_a_frame():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from aekit import explain

    frame = patients(200).drop(columns="region")
    pipe = make_pipeline(StandardScaler(), fast_detector(len(frame))).set_output(transform="pandas").fit(frame)
    top = explain(pipe, frame, top=2)
    assert set(top["feature_1"]) <= {"pressure", "weight", "dose"} and len(top) == len(frame)
    contributions = explain(pipe, frame)
    np.testing.assert_allclose(contributions.sum(axis=1) + contributions.attrs["offset"], -pipe.score_samples(frame),
                               rtol=1e-4, atol=1e-6)


def test_impute_fitted_in_python_without_the_index_fills_a_parquet_file_with_one(tmp_path, capsys):
    pytest.importorskip("pyarrow")
    frame = patients(60).assign(patient=[f"P{i:03d}" for i in range(60)]).set_index("patient")
    frame.iloc[::5, 0] = np.nan
    AutoEncoderImputer(max_epochs=1, n_members=1, blend=None).fit(frame).save(tmp_path / "imp")
    frame.to_parquet(tmp_path / "gaps.parquet")
    assert main(["impute", str(tmp_path / "gaps.parquet"), str(tmp_path / "o.csv"), "--fitted", str(tmp_path / "imp")]) == 0
    assert pd.read_csv(tmp_path / "o.csv").columns.tolist() == ["patient", *frame.columns]  # the ids were dropped


def test_categories_not_seen_in_fit_are_named_in_a_warning_by_the_detector_and_the_imputer():
    """A typo or a new level in a category column used to pass without a word: the detector
    encoded it as no category, the imputer kept it and read it as missing."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80), "city": rng.choice(["north", "south"], 80)})
    small = AutoEncoder(2, hidden_dims=(8,), max_epochs=2, random_state=0)
    detector = AutoEncoderOutlierDetector(small, random_state=0).fit(frame)
    batch = frame.head(5).copy()
    batch.loc[0, "city"] = "Nort"
    with pytest.warns(UserWarning, match=r"not seen in fit: 'city' \['Nort'\] in 1 row; they are encoded as an all-zero group"):
        assert detector.score_samples(batch).shape == (5,)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        detector.score_samples(frame.head(5))  # known categories: no warning

    gappy = frame.copy()
    gappy.loc[::5, "a"] = np.nan
    imputer = AutoEncoderImputer(hidden_dims=(8,), latent_dim=2, max_epochs=2, n_members=1, random_state=0).fit(gappy)
    batch = gappy.head(6).copy()
    batch.loc[[1, 2], "city"] = "west"
    with pytest.warns(UserWarning, match=r"'city' \['west'\] in 2 rows; they are kept as given"):
        filled = imputer.transform(batch)
    assert list(np.asarray(filled)[[1, 2], 2]) == ["west", "west"]


def test_the_command_line_prints_a_warning_as_one_aekit_line(tmp_path, capsys):
    """A fitted detector meeting a new category warns on the command line as one
    'aekit detect: warning: ...' line, not as Python's file:line: UserWarning form."""
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80), "city": rng.choice(["north", "south"], 80)})
    frame.to_csv(tmp_path / "train.csv", index=False)
    batch = frame.head(5).copy()
    batch.loc[0, "city"] = "Nort"
    batch.to_csv(tmp_path / "new.csv", index=False)
    assert main(["detect", str(tmp_path / "train.csv"), "--save", str(tmp_path / "det"), "--epochs", "2", "--quiet"]) == 0
    done = subprocess.run([sys.executable, "-m", "aekit", "detect", str(tmp_path / "new.csv"), "--fitted", str(tmp_path / "det"),
                           "--out", str(tmp_path / "flags.csv")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert "aekit detect: warning: X has categories not seen in fit: 'city' ['Nort'] in 1 row" in lines[0]
    assert "UserWarning" not in done.stderr
    explained = ["detect", str(tmp_path / "new.csv"), "--fitted", str(tmp_path / "det"), "--out", str(tmp_path / "f.csv"),
                 "--explain", "2"]
    assert main(explained) == 0  # scored, explained and given probabilities: the warning was printed three times
    assert capsys.readouterr().err.count("not seen in fit: 'city' ['Nort']") == 1


def test_date_columns_are_left_out_with_a_warning_like_identifiers(tmp_path, capsys):
    # a datetime column stopped the detector and the imputer; the same dates read from a CSV file (text,
    # repeated: hourly rows) were one-hot encoded as a category of 40 levels without a word
    from aekit.data.columns import is_dates

    frame = regions(n=120).drop(columns="id")
    frame["taken"] = pd.date_range("2024-03-01", periods=120, freq="h")
    messages = fit_any(fast_detector(len(frame)), frame)
    assert any("'taken' is a column of dates or times" in m for m in messages), messages
    with pytest.warns(UserWarning, match="'taken' is a column of dates or times"):
        detector = fast_detector(len(frame)).fit(frame.assign(taken=frame["taken"].dt.strftime("%Y-%m-%d")))
    assert detector.table_.dropped == {"taken": "a column of dates or times (turn them into numbers, such as days since "
                                                "a date or a weekday, to use them)"}
    gaps = frame.assign(taken=frame["taken"].dt.strftime("%d/%m/%Y %H:%M"))
    gaps.loc[::7, "a"] = np.nan
    gaps.to_csv(tmp_path / "t.csv", index=False)
    assert main(["impute", str(tmp_path / "t.csv"), str(tmp_path / "out.csv"), *FAST_CLI]) == 0
    assert "'taken' is a column of dates or times" in capsys.readouterr().err
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["taken"].tolist() == gaps["taken"].tolist() and not out["a"].isna().any()
    for values, dates in ((["2020-01-31", None, "2021-12-01 10:00"], True), (["1-2", "3-4"], False), (["2020", "2021"], False),
                          (["12.5", "3.25"], False), (["north", "south"], False),
                          # these were one-hot encoded as a category per day, month or time without a word
                          (["2024/03/01", "2024/03/02 10:00"], True), (["2024.03.01"], True), (["01-03-2024"], True),
                          (["2024-03", "2024-12"], True), (["Mar 2024", "March, 2024"], True), (["Fri, 01 Mar 2024"], True),
                          (["14:30", "2:05 PM", "09:15:30"], True), (["2019-20", "2020-21"], False), (["01-03-24"], False),
                          (["16:9", "4:3"], False), (["2024/03.01"], False)):
        assert is_dates(pd.Series(values)) == dates, values


def test_the_detector_reads_a_pyarrow_table_as_the_same_dataframe():
    # a pyarrow Table was taken as a plain array: its numbers scored unstandardised (other scores than the
    # same pandas frame's), and a text column was refused as "could not convert string to float: 'x'"
    import pyarrow as pa

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(50, 10, 80), "b": rng.normal(size=80), "site": rng.choice(["x", "y"], 80)})
    table = pa.table(frame)
    model = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=3, random_state=0)
    det = AutoEncoderOutlierDetector(model, random_state=0).fit(table)
    assert det.table_.feature_names() == ["a", "b", "site=x", "site=y"]
    reference = AutoEncoderOutlierDetector(model, random_state=0).fit(frame)
    np.testing.assert_array_equal(det.score_samples(table), reference.score_samples(frame))
    assert list(det.explain(table.slice(0, 3)).columns) == ["a", "b", "site"]
    numbers = pa.table(frame[["a", "b"]])
    np.testing.assert_array_equal(AutoEncoderOutlierDetector(model, random_state=0).fit(numbers).score_samples(numbers),
                                  AutoEncoderOutlierDetector(model, random_state=0).fit(frame[["a", "b"]]).score_samples(frame[["a", "b"]]))


def test_a_complex_column_is_refused_not_cut_to_its_real_part():
    # the imputer and the detector cast it to float, keeping the real part with only numpy's ComplexWarning
    frame = pd.DataFrame({"a": np.arange(30.0) % 7, "z": np.arange(30) % 5 + 1j, "s": ["x", "y", "z"] * 10})
    frame.loc[2, "a"] = np.nan
    imputer = AutoEncoderImputer(n_members=1, blend=None, max_epochs=1, ignore_columns=None)
    with pytest.raises(ValueError, match=r"^column 'z' holds complex numbers, .* \(\.real and \.imag\)"):
        imputer.fit(frame)
    with pytest.raises(ValueError, match=r"^column 'z' holds complex numbers"):
        AutoEncoderOutlierDetector(AutoEncoder(max_epochs=1), ignore_columns=None).fit(frame.fillna(0.0))


def test_a_duration_column_is_left_out_as_dates_are_or_refused_as_durations_with_advice_for_them():
    # it was refused as "dates or times" with advice for dates: "days since a date, an hour, a weekday"; and with
    # ignore_columns='auto' it was refused where a date column is left out with a warning
    frame = pd.DataFrame({"a": np.arange(30.0) % 7, "took": pd.to_timedelta(np.arange(30) % 4, "s"), "s": ["x", "y", "z"] * 10})
    for estimator in (AutoEncoderImputer(n_members=1, blend=None, max_epochs=1), AutoEncoderOutlierDetector(AutoEncoder(max_epochs=1))):
        with pytest.raises(ValueError, match=r"^column 'took' holds durations \(Timedelta\('0 days 00:00:00'\)\), .*"
                                             r"\(seconds, e\.g\. \.dt\.total_seconds\(\)\) or leave the column out"):
            estimator.set_params(ignore_columns=None).fit(frame)
        with pytest.warns(UserWarning, match=r"'took' is a column of durations \(turn them into numbers, such as seconds"):
            estimator.set_params(ignore_columns="auto").fit(frame)


def test_impute_writes_a_whole_constant_column_with_gaps_whole(tmp_path, capsys):
    # a constant column of 3s with gaps (read as floats) came back as 3.0 on every row, while an
    # imputed column of whole numbers came back whole
    frame = patients(120).drop(columns="region").assign(site="3")
    frame.loc[::6, "dose"] = np.nan
    frame.loc[::9, "site"] = ""
    frame.to_csv(tmp_path / "t.csv", index=False)
    argv = ["impute", str(tmp_path / "t.csv"), str(tmp_path / "o.csv"), "--quiet", "--epochs", "2", "--set", "n_members=1"]
    assert main(argv) == 0
    assert "'site' is constant" in capsys.readouterr().err
    lines = (tmp_path / "o.csv").read_text().splitlines()
    site = lines[0].split(",").index("site")
    assert {line.split(",")[site] for line in lines[1:]} == {"3"}


def test_impute_and_detect_write_a_whole_number_identifier_with_gaps_as_it_was(tmp_path, capsys):
    # a patient_id of whole numbers with an empty cell (read as floats) was written back as 1.0, 2.0, ...
    frame = with_id(patients(120).drop(columns="region"))
    frame.to_csv(tmp_path / "full.csv", index=False)
    lines = (tmp_path / "full.csv").read_text().splitlines()
    lines[5] = "," + lines[5].split(",", 1)[1]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    assert main(["detect", str(tmp_path / "t.csv"), "--out", str(tmp_path / "d.csv"), *FAST_CLI]) == 0
    frame.loc[::6, "dose"] = np.nan
    frame.loc[4, "patient_id"] = np.nan
    frame.astype({"patient_id": "Int64"}).to_csv(tmp_path / "g.csv", index=False)  # 1, 2, ... (1.0 comes back 1.0)
    argv = ["impute", str(tmp_path / "g.csv"), str(tmp_path / "i.csv"), "--quiet", "--epochs", "2", "--set", "n_members=1"]
    assert main(argv) == 0
    assert "'patient_id' is an identifier" in capsys.readouterr().err
    for written in ("d.csv", "i.csv"):
        ids = [line.split(",")[0] for line in (tmp_path / written).read_text().splitlines()[1:]]
        assert ids == [line.split(",")[0] for line in lines[1:]], written


def test_prices_and_percentages_written_as_text_are_left_out_naming_how_to_use_them(tmp_path, capsys):
    # '$2,505' and '12%' were one-hot encoded, a category per amount (98 features for 100 rows), without a word
    from aekit.data.columns import is_marked_numbers

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=100), "y": rng.normal(size=100),
                          "price": [f"${a:,.0f}" for a in rng.uniform(500, 3000, 100)],
                          "share": [f"{a:.0f}%" for a in rng.uniform(0, 100, 100)], "yn": rng.choice(["yes", "no"], 100)})
    with pytest.warns(UserWarning, match=r"'price' is numbers written with a currency sign or %"):
        detector = AutoEncoderOutlierDetector(AutoEncoder(max_epochs=1)).fit(frame)
    assert set(detector.table_.dropped) == {"price", "share"}
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(tmp_path / "run")]) == 0
    assert "'share' is numbers written with a currency sign or %" in capsys.readouterr().err
    assert json.loads((tmp_path / "run" / "data.json").read_text())["feature_names"] == ["x", "y", "yn=no", "yn=yes"]
    for values, marked in ((["$1,200", "$35", None], True), (["€ 3,50", "12 %"], True), (["12", "13"], False),
                           (["$ abc", "$1"], False), (["north", "south"], False)):
        assert is_marked_numbers(pd.Series(values)) == marked, values


def test_dates_written_with_the_months_name_are_dates_whether_repeated_or_not():
    # 'Jan 01 2024' was no date: all distinct it was left out as 'an identifier', repeated it was kept as categories
    from aekit.data.columns import DATES, non_features

    days = pd.date_range("2024-01-01", periods=30, freq="5D")
    rng = np.random.default_rng(0)
    for written in (days.strftime("%b %d %Y"), days.strftime("%B %-d, %Y"), days.strftime("%d-%b-%Y")):
        repeated = list(written[:10]) * 3
        frame = pd.DataFrame({"x": rng.normal(size=30), "y": rng.normal(size=30), "when": list(written), "again": repeated})
        assert non_features(frame) == {"when": DATES, "again": DATES}, list(written[:3])
    for values in (["Maybe 1 2024", "May 2 2024"], ["Junior 1 2024", "Senior 2 2024"], ["May 5", "June 6"]):
        assert non_features(pd.DataFrame({"v": values * 10, "x": np.arange(20) % 3})) == {}, values
