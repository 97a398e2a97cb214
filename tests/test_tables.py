"""Tables as users bring them, through the command line and the Python API: delimiters,
encodings, placeholders for missing values, ragged rows, all-empty columns, imputations that
stay plausible, pandas outputs that compose, and a text column that cannot dominate the
outlier score."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aekit import AutoEncoder, AutoEncoderImputer, AutoEncoderOutlierDetector
from aekit.cli import main
from aekit.data.datasets import BOOLEAN_SPELLINGS, load_csv, read_csv_frame
from aekit.data.readers import reader_for
from aekit.data.tabular import DetectionEncoding, TableLayout

pytestmark = pytest.mark.usefixtures("one_torch_thread")

FAST = {"hidden_dims": (32,), "latent_dim": 8, "max_epochs": 20, "n_members": 1, "random_state": 0}
CLI_FAST = ["--quiet", "--epochs", "20", "--set", "hidden_dims=[32]", "--set", "n_members=1"]


def survey(n: int = 240, seed: int = 0):
    """A table driven by one factor: a non-negative integer count, an age in whole years, a
    share in [0, 1], a measurement and a text column."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    return pd.DataFrame(
        {
            "visits": np.maximum(0, np.round(2 + 2 * z + rng.normal(size=n))).astype(int),
            "age": np.clip(np.round(45 + 12 * z), 18, 90).astype(int),
            "share": 1 / (1 + np.exp(-2 * z + 0.1 * rng.normal(size=n))),
            "weight": 70 + 8 * z + rng.normal(size=n),
            "group": np.where(z > 0.3, "high", np.where(z < -0.3, "low", "mid")),
        }
    )


def with_gaps(frame, rate: float = 0.2, seed: int = 1):
    rng = np.random.default_rng(seed)
    gaps = frame.astype(object).copy()
    mask = rng.random(frame.shape) < rate
    mask[:, -1] = False
    gaps[mask] = None
    return gaps, mask


def write_european(path: Path, frame, placeholder: str = "?") -> np.ndarray:
    """`frame` with gaps as a semicolon-separated file with decimal commas and `placeholder`
    for missing cells; returns the gap mask."""
    gaps, mask = with_gaps(frame)
    text = gaps.map(lambda v: placeholder if v is None else (f"{v:.6f}".replace(".", ",") if isinstance(v, float) else str(v)))
    path.write_text(";".join(frame.columns) + "\n" + "\n".join(";".join(row) for row in text.to_numpy()) + "\n")
    return mask


# ---- reading ------------------------------------------------------------------------------


def test_impute_reads_a_semicolon_file_with_question_marks_and_keeps_values_plausible(tmp_path, capsys):
    frame = survey()
    mask = write_european(tmp_path / "survey.csv", frame)
    assert main(["impute", str(tmp_path / "survey.csv"), str(tmp_path / "filled.csv"), *CLI_FAST]) == 0
    assert f"filled {int(mask.sum())} missing entries in 4 columns" in capsys.readouterr().out
    # written back as it came, ';' and decimal commas, where a comma-and-point file opened as one column in a
    # spreadsheet set for the European format
    assert (tmp_path / "filled.csv").read_text().splitlines()[0] == ";".join(frame.columns)
    filled = pd.read_csv(tmp_path / "filled.csv", sep=";", decimal=",")
    assert list(filled.columns) == list(frame.columns) and not filled.isna().any().any()
    assert filled["visits"].dtype.kind == "i" and filled["age"].dtype.kind == "i"  # whole numbers stay whole
    assert filled["visits"].min() >= 0 and filled["age"].between(18, 90).all()
    written = frame["share"].round(6)
    assert filled["share"].between(written.min(), written.max()).all()
    observed = ~mask[:, 3]
    np.testing.assert_allclose(filled["weight"][observed], frame["weight"][observed], atol=1e-6)
    gaps = mask[:, 3]
    assert np.abs(filled["weight"][gaps] - frame["weight"][gaps]).mean() < 0.8 * np.abs(frame["weight"] - frame["weight"].mean()).mean()


def test_imputed_numbers_are_written_with_the_decimals_of_their_column(tmp_path, capsys):
    """In a column whose observed values have one decimal (3.7, 12.1) aekit impute wrote imputed
    values such as 3.6849181; they are now written with the column's decimals (learned in fit, so
    --fitted writes them alike), observed values as they were, and unrounded with plausible_values=range.
    A column of rates written plainly (0.00000870) came back as 8.7e-06; it is written plainly too."""
    frame = survey(n=160)[["weight", "share"]].assign(weight=lambda t: t["weight"].round(1), share=lambda t: t["share"].round(3))
    frame["rate"] = [float(f"{v:.8f}") for v in frame["share"] * 1e-5]
    gaps, mask = with_gaps(frame.assign(last=0))
    gaps["rate"] = gaps["rate"].map(lambda v: None if v is None else f"{v:.8f}")
    gaps.drop(columns="last").to_csv(tmp_path / "t.csv", index=False)
    alone = [*CLI_FAST, "--set", "blend=null"]  # the rounding follows the imputation; the trees partner took half the fit
    fit = ["impute", str(tmp_path / "t.csv"), str(tmp_path / "filled.csv"), *alone, "--save", str(tmp_path / "imputer")]
    assert main(fit) == 0
    assert main(["impute", str(tmp_path / "t.csv"), str(tmp_path / "again.csv"), "--fitted", str(tmp_path / "imputer"), "--quiet"]) == 0
    assert main(["impute", str(tmp_path / "t.csv"), str(tmp_path / "range.csv"), *alone, "--set", "plausible_values=range"]) == 0
    assert AutoEncoderImputer.load(tmp_path / "imputer").blend_ is None
    for name in ("filled.csv", "again.csv"):
        written = pd.read_csv(tmp_path / name, dtype=str)
        for j, (column, decimals) in enumerate((("weight", 1), ("share", 3), ("rate", 8))):
            assert written[column][mask[:, j]].str.fullmatch(rf"-?\d+(\.\d{{1,{decimals}}})?").all(), (name, column)
            assert (written[column][~mask[:, j]].astype(float) == frame[column][~mask[:, j]]).all()
    unrounded = pd.read_csv(tmp_path / "range.csv", dtype=str)["weight"][mask[:, 0]]
    assert unrounded.str.len().max() > 5

@pytest.mark.parametrize("sep, flag", [("\t", None), ("\t", "tab"), ("|", None), (";", ";")])
def test_delimiters_are_sniffed_or_given(tmp_path, sep, flag):
    path = tmp_path / "t.csv"
    path.write_text(sep.join(["a", "b", "c"]) + "\n" + "\n".join(sep.join([str(i), "2.5", "x"]) for i in range(5)) + "\n")
    frame = read_csv_frame(path, sep={"tab": "\t"}.get(flag, flag))
    assert list(frame.columns) == ["a", "b", "c"] and frame["b"].tolist() == [2.5] * 5
    with pytest.raises(ValueError, match=r"sep must be one character .*got '::'"):
        read_csv_frame(path, sep="::")


def test_a_utf16_file_with_a_byte_order_mark_is_read_and_other_encodings_are_named(tmp_path, capsys):
    (tmp_path / "u16.csv").write_text("amount;city\n1,5;Malmö\n2;Lund\n", encoding="utf-16")
    frame = read_csv_frame(tmp_path / "u16.csv")
    assert frame["amount"].tolist() == [1.5, 2.0] and frame["city"].tolist() == ["Malmö", "Lund"]
    (tmp_path / "latin.csv").write_bytes("amount,city\n1.5,Malmö\n,Lund\n3,Oslo\n".encode("latin-1"))
    out = str(tmp_path / "o.csv")
    assert main(["impute", str(tmp_path / "latin.csv"), out, *CLI_FAST]) == 1
    assert "is not valid utf-8 text" in (err := capsys.readouterr().err) and "--encoding latin-1" in err
    assert main(["impute", str(tmp_path / "latin.csv"), out, "--encoding", "latin-1", *CLI_FAST]) == 0
    assert pd.read_csv(out, encoding="latin-1")["city"].tolist() == ["Malmö", "Lund", "Oslo"]  # written back as read
    (tmp_path / "g16.csv").write_text("amount;city\n1,5;Malmö\n;Lund\n3;Oslo\n", encoding="utf-16")
    assert main(["impute", str(tmp_path / "g16.csv"), str(tmp_path / "o16.csv"), *CLI_FAST]) == 0
    assert (tmp_path / "o16.csv").read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")  # its byte-order mark kept
    assert pd.read_csv(tmp_path / "o16.csv", encoding="utf-16", sep=";", decimal=",")["city"].tolist() == ["Malmö", "Lund", "Oslo"]
    (tmp_path / "le.csv").write_bytes("a,b\n1,2\n".encode("utf-16-le"))
    assert main(["detect", str(tmp_path / "le.csv")]) == 1
    assert "holds NUL bytes" in (err := capsys.readouterr().err) and "--encoding utf-16-le" in err
    assert main(["detect", str(tmp_path / "le.csv"), "--encoding", "klingon"]) == 1
    assert "unknown encoding 'klingon'" in capsys.readouterr().err


def test_a_parquet_files_named_index_names_the_rows_encode_and_reconstruct_write(tmp_path, capsys):
    """detect and impute carried a Parquet file's named index (patient ids) to their output, while
    encode and reconstruct numbered the rows 0, 1, 2, ...: their 'id' column now holds the index."""
    frame = survey(n=80)[["age", "weight", "share"]].astype(float)
    frame = frame.set_axis(pd.Index([f"P{i:03d}" for i in range(80)], name="patient"))
    frame.to_parquet(tmp_path / "t.parquet")
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.parquet"), "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    later = frame.iloc[[5, 2, 9]].set_axis(pd.Index(np.arange(3) * 3 + 7, name="patient"))
    later.to_parquet(tmp_path / "later.parquet")
    for command in ("encode", "reconstruct"):
        assert main([command, str(run), str(tmp_path / "t.parquet"), str(tmp_path / f"{command}.csv")]) == 0
        assert pd.read_csv(tmp_path / f"{command}.csv")["id"].tolist() == frame.index.tolist()
        assert main([command, str(run), str(tmp_path / "later.parquet"), str(tmp_path / f"{command}.parquet")]) == 0
        written = pd.read_parquet(tmp_path / f"{command}.parquet")
        assert written["id"].tolist() == [7, 10, 13] and written["id"].dtype == np.int64
    # a MultiIndex (site, visit) was dropped and the rows numbered 0, 1, 2, 3: its levels are now joined by '/'
    levels = pd.MultiIndex.from_arrays([["north", "north", "south", "south"], [1, 2, 1, 2]], names=["site", "visit"])
    frame.iloc[:4].set_axis(levels).to_parquet(tmp_path / "sites.parquet")
    for command in ("encode", "reconstruct"):
        assert main([command, str(run), str(tmp_path / "sites.parquet"), str(tmp_path / f"sites-{command}.csv")]) == 0
        assert pd.read_csv(tmp_path / f"sites-{command}.csv")["id"].tolist() == ["north/1", "north/2", "south/1", "south/2"]
    # a filtered frame's unnamed index (5, 2, 9) was numbered 0, 1, 2: codes joined on it went to other rows
    frame.reset_index(drop=True).iloc[[5, 2, 9]].to_parquet(tmp_path / "kept.parquet")
    assert main(["encode", str(run), str(tmp_path / "kept.parquet"), str(tmp_path / "kept.csv")]) == 0
    assert pd.read_csv(tmp_path / "kept.csv")["id"].tolist() == [5, 2, 9]

@pytest.mark.parametrize("command", ["impute", "detect"])
def test_a_ragged_row_is_refused_with_its_line_and_field_counts(tmp_path, capsys, command):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,c\n1,2,3\n\n4,5\n6,7,8\n")
    argv = {"impute": ["impute", str(path), str(tmp_path / "o.csv")], "detect": ["detect", str(path)]}[command]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"{str(path)!r}: line 4 has 2 fields but the header has 3" in err and "Traceback" not in err
    path.write_text('a,b\n1,"x,y"\n2,z,w\n')
    with pytest.raises(ValueError, match="line 3 has 3 fields but the header has 2 .*quote the fields"):
        load_csv(path)


def test_placeholders_default_and_added(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,?,x\n2,n/a,y\nNA,-,z\n4,unknown,\n5,6,w\n")
    with pytest.warns(UserWarning, match=r"column 'b' holds numbers and the text 'unknown'.*--na-values unknown"):
        frame = read_csv_frame(path)
    assert frame["a"].isna().tolist() == [False, False, True, False, False] and frame["c"].isna().sum() == 1
    frame = read_csv_frame(path, na_values=["unknown"])
    assert frame["b"].dtype.kind == "f" and frame["b"].isna().sum() == 4


def test_decimal_commas_with_thousands_points_are_numbers_and_dotted_dates_stay_text(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("price;units;score;day\n1.234,56;7.041;53,46;12.03.2020\n999,5;12.500;48,1;13.03.2020\n"
                    "-2.000,75;3;?;14.03.2020\n")
    frame = read_csv_frame(path)
    assert frame["price"].tolist() == [1234.56, 999.5, -2000.75]
    assert frame["units"].tolist() == [7041, 12500, 3] and frame["units"].dtype.kind == "i"
    assert frame["score"].iloc[:2].tolist() == [53.46, 48.1] and frame["score"].isna().iloc[2]
    assert frame["day"].tolist() == ["12.03.2020", "13.03.2020", "14.03.2020"]


@pytest.mark.parametrize("quoted", [False, True])
def test_a_line_of_spaces_is_blank_not_a_ragged_row(tmp_path, quoted):
    # a line of spaces (or a tab in a CSV) was refused: "line 3 has 1 fields but the header has 3", as pandas skips it
    path = tmp_path / "t.csv"
    city = '"Köln, Rhein"' if quoted else "Köln"
    path.write_text(f"a,b,city\r\n1,2.5,{city}\r\n   \r\n3,4.5,Bonn\r\n\t \r\n")
    frame = read_csv_frame(path)
    assert frame["a"].tolist() == [1, 3] and frame["city"].tolist() == [city.strip('"'), "Bonn"]
    path.write_text("a\tb\tc\n1\t2\tx\n\t\n")  # a tab in a tab-separated file is two empty fields: ragged
    with pytest.raises(ValueError, match="line 3 has 2 fields but the header has 3"):
        read_csv_frame(path)


@pytest.mark.parametrize("sep, decimal", [(",", "."), (";", ",")])
def test_numbers_with_the_minus_sign_u2212_are_numbers(tmp_path, sep, decimal):
    # some locales export negative numbers with U+2212 (−1,5): the column stayed text, a category per value
    values = [-1234.5, 2.25, -0.5, 7.0]
    cells = [f"{v:.2f}".replace("-", "\u2212").replace(".", decimal) for v in values]
    path = tmp_path / "t.csv"
    path.write_text("a" + sep + "b\n" + "\n".join(f"{i}{sep}{c}" for i, c in enumerate(cells)) + "\n", encoding="utf-8")
    assert read_csv_frame(path)["b"].tolist() == values


def test_a_spreadsheets_sep_line_names_the_delimiter_and_is_skipped(tmp_path):
    # Excel's 'sep=;' first line was refused: "line 2 has 3 fields but the header has 2"
    path = tmp_path / "export.csv"
    path.write_bytes("\ufeffsep=;\r\nprice;units;city\r\n1.234,5;3;Köln\r\n999,5;4;Zürich\r\n".encode("utf-8"))
    frame = read_csv_frame(path)
    assert frame.columns.tolist() == ["price", "units", "city"] and frame["price"].tolist() == [1234.5, 999.5]
    assert frame["city"].tolist() == ["Köln", "Zürich"] and frame["units"].tolist() == [3, 4]
    path.write_text("sep=,\na,b\n1,2\n3\n")
    with pytest.raises(ValueError, match="line 4 has 1 fields but the header has 2"):
        read_csv_frame(path)


def test_thousands_grouped_by_spaces_are_numbers_not_an_identifier(tmp_path):
    # a French file's incomes (31 114,53) stayed text: distinct texts, so left out of every model as an identifier
    from aekit.data.columns import non_features

    rng = np.random.default_rng(0)
    income, height = rng.integers(20_000, 40_000, 24) + 0.25, rng.normal(170, 8, 24).round(1)
    spaces = ["\u202f", "\u00a0", " "]
    rows = [f"{['Paris', 'Lyon'][i % 2]};{int(v) // 1000}{spaces[i % 3]}{int(v) % 1000:03d},25;{str(h).replace('.', ',')}"
            for i, (v, h) in enumerate(zip(income, height))]
    path = tmp_path / "fr.csv"
    path.write_text("ville;revenu;taille\n" + "\n".join(rows) + "\n", encoding="utf-8")
    frame = read_csv_frame(path)
    assert frame["revenu"].tolist() == income.tolist() and frame["taille"].tolist() == height.tolist()
    assert non_features(frame) == {}
    path.write_text('a,b\n1,"12 500.5"\n2,"7 041"\n3,12\n')  # with a decimal point
    assert read_csv_frame(path)["b"].tolist() == [12500.5, 7041, 12]


def test_a_runs_later_file_keeps_the_decimal_comma_of_its_training_file(tmp_path):
    # a later file of the same export with whole heights showed no decimal comma, so its incomes 31.114 were read as
    # 31.114, not 31114: codes and reconstructions of nonsense, without a word
    rng = np.random.default_rng(0)
    income, height = rng.integers(20_000, 40_000, 16), rng.normal(170, 8, 16).round(1)
    rows = [f"{v // 1000}.{v % 1000:03d};{str(h).replace('.', ',')}" for v, h in zip(income, height)]
    (tmp_path / "train.csv").write_text("income;height\n" + "\n".join(rows) + "\n")
    whole = [f"{v // 1000}.{v % 1000:03d};{round(h)}" for v, h in zip(income, height)]
    (tmp_path / "later.csv").write_text("income;height\n" + "\n".join(whole) + "\n")
    (tmp_path / "same.csv").write_text("income;height\n" + "\n".join(f"{v};{round(h)},0" for v, h in zip(income, height)) + "\n")
    run = str(tmp_path / "run")
    assert main(["train", "--data", str(tmp_path / "train.csv"), "--quiet", "--epochs", "1", "--out", run]) == 0
    for name in ("later", "same"):
        assert main(["encode", run, str(tmp_path / f"{name}.csv"), str(tmp_path / f"{name}.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "later.npy"), np.load(tmp_path / "same.npy"))
    # reconstruct (and generate) wrote the run's table with commas and decimal points, which a spreadsheet set for
    # ';' and decimal commas, as the training file was, opens as one column; impute and detect --out kept them
    assert main(["reconstruct", run, str(tmp_path / "train.csv"), str(tmp_path / "rec.csv")]) == 0
    assert (tmp_path / "rec.csv").read_text().splitlines()[0] == "id;income;height"
    reconstructed = pd.read_csv(tmp_path / "rec.csv", sep=";", decimal=",")
    assert reconstructed["height"].dtype == np.float64 and reconstructed["height"].between(120, 220).all()
    # and in UTF-8 where the training file was latin-1, as impute and detect --out write theirs: 'grÃ¶ÃŸe' read back
    (tmp_path / "latin.csv").write_bytes("größe,gewicht\n".encode("latin-1") + b"".join(f"{h},{w}\n".encode() for h, w in zip(height, income)))
    latin = str(tmp_path / "latin_run")
    assert main(["train", "--data", str(tmp_path / "latin.csv"), "--set", "data.encoding=latin-1", "--quiet", "--epochs", "1", "--out", latin]) == 0
    assert main(["reconstruct", latin, str(tmp_path / "latin.csv"), str(tmp_path / "latin_rec.csv")]) == 0
    assert (tmp_path / "latin_rec.csv").read_bytes().splitlines()[0] == "id,größe,gewicht".encode("latin-1")
    # the same with a model saved by detect --save and applied with --fitted: it kept no record of the decimal comma
    saved = str(tmp_path / "detector")
    assert main(["detect", str(tmp_path / "train.csv"), "--save", saved, "--epochs", "1", "--quiet"]) == 0
    for name in ("later", "same"):
        assert main(["detect", str(tmp_path / f"{name}.csv"), "--fitted", saved, "--out", str(tmp_path / f"{name}_o.csv")]) == 0
    scores = [pd.read_csv(tmp_path / f"{name}_o.csv", sep=";", decimal=",")["outlier_score"] for name in ("later", "same")]
    np.testing.assert_allclose(scores[0], scores[1])


def test_zip_codes_and_codes_with_leading_zeros_are_written_back_as_they_were(tmp_path, capsys):
    # impute and detect wrote the zip code 00501 as 501 and the code 00007 as 7: pandas read them as numbers
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"zip": rng.choice(["02139", "10001", "00501", "94105"], 120), "x": rng.normal(size=120),
                          "y": rng.normal(size=120), "code": [f"{i:05d}" for i in range(120)], "n": rng.integers(0, 9, 120)})
    gaps = frame.assign(x=frame["x"].mask(rng.random(120) < 0.1))
    gaps.to_csv(tmp_path / "t.csv", index=False)
    assert read_csv_frame(tmp_path / "t.csv")[["zip", "code", "n"]].dtypes.map(lambda t: t.kind).tolist() == ["O", "O", "i"]
    assert main(["impute", str(tmp_path / "t.csv"), str(tmp_path / "filled.csv"), *CLI_FAST]) == 0
    assert main(["detect", str(tmp_path / "filled.csv"), "--out", str(tmp_path / "flagged.csv"), *CLI_FAST[:3]]) == 0
    for name in ("filled.csv", "flagged.csv"):
        written = pd.read_csv(tmp_path / name, dtype=str)
        assert written["zip"].tolist() == frame["zip"].tolist() and written["code"].tolist() == frame["code"].tolist()


def test_long_account_numbers_with_a_gap_are_written_back_exactly_and_not_imputed(tmp_path, capsys):
    # pandas read them as float64 (the gap), rounding 900000000000000001 to 900000000000000000: no longer distinct,
    # the column was a feature, every number was written back wrong and the gap got a made-up account
    rng = np.random.default_rng(0)
    accounts = [str(900_000_000_000_000_001 + 7 * i) for i in range(30)]
    accounts[4] = ""
    x = rng.normal(size=30).round(3)
    lines = [f"{a},{'' if i == 7 else v},{2 * v:.3f}" for i, (a, v) in enumerate(zip(accounts, x))]
    (tmp_path / "t.csv").write_text("account,x,y\n" + "\n".join(lines) + "\n")
    assert read_csv_frame(tmp_path / "t.csv")["account"].tolist()[3:6] == [accounts[3], np.nan, accounts[5]]
    assert main(["impute", str(tmp_path / "t.csv"), str(tmp_path / "o.csv"), "--quiet", "--epochs", "1", "--set",
                 "n_members=1"]) == 0
    assert "'account' is an identifier" in capsys.readouterr().err
    assert pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)["account"].tolist() == accounts


def test_a_file_with_a_space_after_each_comma_reads_clean_names_and_values(tmp_path):
    path = tmp_path / "spaced.csv"
    path.write_text('age, income, region, note\n30, 2500, east, "a, b"\n40, ?, west, c\n50, 3100, east, d\n')
    frame = read_csv_frame(path)
    assert frame.columns.tolist() == ["age", "income", "region", "note"]
    assert frame["region"].tolist() == ["east", "west", "east"] and frame["note"].tolist() == ["a, b", "c", "d"]
    assert frame["income"].isna().tolist() == [False, True, False]
    path.write_text("a,b\n1, x\n2,y\n3,z\n")  # not written that way throughout: read as it is
    assert read_csv_frame(path)["b"].tolist() == [" x", "y", "z"]


def test_quoted_numbers_with_thousands_commas_are_numbers(tmp_path):
    path = tmp_path / "us.csv"
    path.write_text('income,price,code,label\n"7,041","1,234.5",1,a\n"12,500",999.25,"2,5",b\n?,"-2,000.75",3,c\n')
    with pytest.warns(UserWarning, match="column 'code' holds numbers and the text '2,5'"):
        frame = read_csv_frame(path)
    assert frame["income"].iloc[:2].tolist() == [7041, 12500] and frame["income"].isna().iloc[2]
    assert frame["price"].tolist() == [1234.5, 999.25, -2000.75]
    assert frame["code"].tolist() == ["1", "2,5", "3"]  # '2,5' is no thousands grouping: the column stays text


def test_cli_na_values_and_the_hint_when_nothing_is_missing(tmp_path, capsys):
    path = tmp_path / "t.csv"
    frame = survey(n=120)
    gaps, mask = with_gaps(frame[["age", "weight"]])
    gaps.map(lambda v: "missing" if v is None else v).to_csv(path, index=False)
    assert main(["impute", str(path), str(tmp_path / "o.csv"), *CLI_FAST]) == 1
    err = capsys.readouterr().err
    assert "holds numbers and the text 'missing'" in err and "can be given with --na-values" in err
    assert main(["impute", str(path), str(tmp_path / "o.csv"), "--na-values", "missing", *CLI_FAST]) == 0
    assert not pd.read_csv(tmp_path / "o.csv").isna().any().any()
    assert main(["impute", str(path), str(tmp_path / "p.csv"), "--set", "missing_values=missing", *CLI_FAST]) == 0
    assert pd.read_csv(tmp_path / "p.csv").equals(pd.read_csv(tmp_path / "o.csv"))


def headerless(path: Path, sep: str, n: int = 30) -> np.ndarray:
    """`n` rows of numbers (the first column whole) written with `sep` and no header row, one cell
    '?'; returns the values written."""
    rng = np.random.default_rng(0)
    values = np.column_stack([rng.integers(100, 1000, n), rng.normal(size=(n, 3)).round(3)])
    rows = [sep.join(f"{v:g}" for v in row) for row in values]
    rows[5] = sep.join(rows[5].split(sep)[:-1] + ["?"])
    path.write_text("\n".join(rows) + "\n")
    return values


@pytest.mark.parametrize("sep", ["   ", ",", "\t"], ids=["spaces", "comma", "tab"])
def test_a_headerless_numeric_file_keeps_its_first_row_with_a_note(tmp_path, capsys, sep):
    path = tmp_path / "plain.txt"
    values = headerless(path, sep)
    with pytest.warns(UserWarning, match=r"first row looks like data, so it is read as a row; columns named x0 to x3; .*header=True"):
        frame = read_csv_frame(path)
    assert list(frame.columns) == ["x0", "x1", "x2", "x3"] and len(frame) == 30
    np.testing.assert_allclose(frame.iloc[0], values[0])
    assert frame.isna().to_numpy().sum() == 1
    assert main(["impute", str(path), str(tmp_path / "filled.csv"), *CLI_FAST]) == 0
    captured = capsys.readouterr()
    assert "warning: " in captured.err and "first row looks like data" in captured.err and "--header" in captured.err
    assert "filled 1 missing entry in 1 column (" in captured.out
    filled = pd.read_csv(tmp_path / "filled.csv", header=None, names=["x0", "x1", "x2", "x3"])  # no header, as read
    assert filled.shape == (30, 4) and filled["x0"].tolist() == values[:, 0].tolist()


def test_a_headerless_file_whose_first_row_has_no_value_keeps_that_row(tmp_path, capsys):
    # the empty first row was taken for a header: columns 'Unnamed: 0'.. and one row fewer imputed
    path = tmp_path / "plain.csv"
    values = headerless(path, ",")
    path.write_text(",,,\n" + path.read_text())
    with pytest.warns(UserWarning, match="first row looks like data"):
        frame = read_csv_frame(path)
    assert list(frame.columns) == ["x0", "x1", "x2", "x3"] and len(frame) == 31 and frame.iloc[0].isna().all()
    np.testing.assert_allclose(frame.iloc[1], values[0])
    assert main(["impute", str(path), str(tmp_path / "filled.csv"), *CLI_FAST]) == 0
    assert "filled 5 missing entries in 4 columns" in capsys.readouterr().out
    filled = pd.read_csv(tmp_path / "filled.csv", header=None, names=["x0", "x1", "x2", "x3"])
    assert filled.shape == (31, 4) and not filled.isna().any().any() and filled["x0"].tolist()[1:] == values[:, 0].tolist()


def test_header_and_no_header_force_the_first_row(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    values = headerless(path, ",")
    frame = read_csv_frame(path, header=True)
    assert len(frame) == 29 and list(frame.columns) == [f"{v:g}" for v in values[0]]
    assert main(["impute", str(path), str(tmp_path / "o.csv"), "--header", *CLI_FAST]) == 0
    assert "first row looks like data" not in capsys.readouterr().err
    assert pd.read_csv(tmp_path / "o.csv").shape == (29, 4)
    named = tmp_path / "named.csv"
    named.write_text("a,b\n1,2\n3,?\n5,6\n")
    with pytest.warns(UserWarning, match=r"column 'x[01]' holds numbers and the text '[ab]'"):
        rows = read_csv_frame(named, header=False)
    assert rows.fillna("").to_numpy().tolist() == [["a", "b"], ["1", "2"], ["3", ""], ["5", "6"]]
    assert main(["impute", str(named), str(tmp_path / "n.csv"), "--no-header", *CLI_FAST]) == 0
    assert "'x1' holds numbers and the text 'b'" in capsys.readouterr().err  # the names read as a row of data
    assert pd.read_csv(tmp_path / "n.csv", header=None).shape == (4, 2)  # written without a header, as read


def test_train_leaves_out_the_empty_column_of_a_trailing_delimiter_as_detect_drops_it(tmp_path, capsys):
    # 'a,b,c,d,' on every line: train refused "missing values in the column Unnamed: 4", detect and impute dropped it
    path = tmp_path / "plain.csv"
    headerless(path, ",")
    lines = ["a,b,c,d", *path.read_text().replace("?", "0.5").splitlines()]
    path.write_text("".join(f"{line},\n" for line in lines))
    (tmp_path / "bare.csv").write_text("".join(f"{line}\n" for line in lines))
    run = str(tmp_path / "run")
    assert main(["train", "--data", str(path), "--quiet", "--epochs", "1", "--set", "model.hidden_dims=[8]", "--out", run]) == 0
    assert "'Unnamed: 4' is empty (no value in any row)" in capsys.readouterr().err
    assert json.loads((tmp_path / "run" / "data.json").read_text())["feature_names"] == ["a", "b", "c", "d"]
    for name in ("plain", "bare"):
        assert main(["encode", run, str(tmp_path / f"{name}.csv"), str(tmp_path / f"{name}.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "plain.npy"), np.load(tmp_path / "bare.npy"))


def test_train_keeps_the_header_choice_for_the_commands_that_read_its_run(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    headerless(path, ",")
    path.write_text(path.read_text().replace("?", "0.5"))
    train = ["train", "--data", str(path), "--quiet", "--epochs", "1", "--set", "model.hidden_dims=[8]", "--out"]
    with pytest.warns(UserWarning, match="first row looks like data"):
        assert main([*train, str(tmp_path / "guessed")]) == 0
        assert main(["encode", str(tmp_path / "guessed"), str(path), str(tmp_path / "guessed.npy")]) == 0
    guessed = json.loads((tmp_path / "guessed" / "data.json").read_text())
    assert guessed["header"] is False and guessed["feature_names"] == guessed["columns"] == ["x0", "x1", "x2", "x3"]
    assert main([*train, str(tmp_path / "named"), "--header"]) == 0
    assert main(["encode", str(tmp_path / "named"), str(path), str(tmp_path / "named.npy")]) == 0
    assert len(np.load(tmp_path / "guessed.npy")) == 30 and len(np.load(tmp_path / "named.npy")) == 29
    # a file with a header for a run trained without one was read with its header as a row ('has 804 features ...
    # unexpected ['x0=0.0', ...]'), and the reverse took the first row for names: both are said so
    lines = path.read_text().splitlines()
    (tmp_path / "with.csv").write_text("\n".join(["id,a,b,c", *lines]) + "\n")
    (tmp_path / "without.csv").write_text("\n".join(lines[1:]) + "\n")
    for run, table, said in (("guessed", "with.csv", "with.csv' starts with a header row (id, a, b, c), but the model "
                              "was trained on a table without one (its columns read as x0 to x3): remove the header line"),
                             ("named", "without.csv", "without.csv' has no header row (its first row, "
                              f"{lines[1].replace(',', ', ')}, holds numbers), but the model was trained on a table "
                              f"whose header names its columns ({lines[0].replace(',', ', ')}): add that header line")):
        capsys.readouterr()
        assert main(["encode", str(tmp_path / run), str(tmp_path / table), str(tmp_path / "refused.npy")]) == 1
        err = capsys.readouterr().err
        assert said in err and "warning" not in err  # not first "column 'x0' holds numbers and the text 'id'"
    # encode, reconstruct and evaluate take --header / --no-header as train does: the file's columns in the training
    # table's order, the same codes as the training table's layout gives
    for run, table, flag, like in (("guessed", "with.csv", "--header", "guessed"), ("named", "without.csv", "--no-header",
                                                                                  "named"), ("guessed", "plain.csv", "--no-header", "guessed")):
        assert main(["encode", str(tmp_path / run), str(tmp_path / table), str(tmp_path / "c.npy"), flag]) == 0
        np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), np.load(tmp_path / f"{like}.npy"))
    assert main(["encode", str(tmp_path / "named"), str(tmp_path / "with.csv"), str(tmp_path / "c.npy"), "--no-header"]) == 1
    assert "starts with a header row (id, a, b, c), but it is read as having none (header=False; --no-header" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "named"), "--no-header"]) == 1
    assert "--no-header says how --data's CSV file is read" in capsys.readouterr().err
    guessed_run = str(tmp_path / "guessed")
    for command, output in ((["explore", guessed_run], ["--out", str(tmp_path / "e.html")]),
                            (["generate", guessed_run, str(tmp_path / "s.csv")], ["-n", "2"])):
        assert main([*command, "--header"]) == 1
        assert "--header says how --data's CSV file is read" in capsys.readouterr().err
        assert main([*command, *output, "--data", str(tmp_path / "with.csv"), "--header"]) == 0


def test_a_run_keeps_the_header_it_inferred_and_warns_once(tmp_path, capsys):
    # the run recorded header 'infer', so evaluate, report and encode guessed again and repeated the note
    import json
    import warnings

    path = tmp_path / "plain.csv"
    headerless(path, ",")
    path.write_text(path.read_text().replace("?", "0.5"))
    train = ["train", "--data", str(path), "--quiet", "--epochs", "1", "--set", "model.hidden_dims=[8]", "--out", str(tmp_path / "run")]
    with pytest.warns(UserWarning, match="first row looks like data"):
        assert main(train) == 0
    assert json.loads((tmp_path / "run" / "data.json").read_text())["header"] is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["evaluate", str(tmp_path / "run")]) == 0
        assert main(["encode", str(tmp_path / "run"), str(path), str(tmp_path / "codes.npy")]) == 0
    assert "first row looks like data" not in capsys.readouterr().err
    assert len(np.load(tmp_path / "codes.npy")) == 30

@pytest.mark.parametrize("sep", [";", "\t", "|"], ids=["semicolon", "tab", "pipe"])
def test_a_short_row_is_named_by_its_line_whatever_the_delimiter(tmp_path, capsys, sep):
    path = tmp_path / "survey.csv"
    write_european(path, survey())
    lines = path.read_text().replace(";", sep).splitlines()
    lines[3] = sep.join(lines[3].split(sep)[:3])
    path.write_text("\n".join(lines) + "\n")
    assert main(["impute", str(path), str(tmp_path / "o.csv"), *CLI_FAST]) == 1
    assert f"line 4 has 3 fields but the header has 5 (delimiter {sep!r})" in capsys.readouterr().err


def test_a_whitespace_separated_file_with_a_header_reads_right(tmp_path, capsys):
    path = tmp_path / "table.txt"
    frame = survey(n=60)[["visits", "age", "weight"]]
    path.write_text(frame.to_string(index=False).replace("\n", " \n", 5) + "\n")
    read = read_csv_frame(path)
    assert list(read.columns) == ["visits", "age", "weight"] and read.shape == (60, 3)
    np.testing.assert_allclose(read.to_numpy(), frame.to_numpy(), atol=1e-6)
    assert main(["detect", str(path), "--quiet", "--epochs", "2"]) == 0
    assert "60 rows" in capsys.readouterr().out


def test_a_csv_with_a_header_reads_as_before_and_as_told(tmp_path):
    path = tmp_path / "survey.csv"
    survey(n=50).to_csv(path, index=False)
    expected = pd.read_csv(path)
    pd.testing.assert_frame_equal(read_csv_frame(path), expected)  # and no warning: warnings are errors here
    pd.testing.assert_frame_equal(read_csv_frame(path, header=True), expected)
    assert load_csv(path, header=True).X.shape == (50, 7)


def test_a_parquet_files_named_index_stays_its_index_in_what_impute_and_detect_write(tmp_path, capsys):
    # a table indexed by patient id came back with 'patient' as a plain column and a 0, 1, 2, ... index
    frame = survey(n=120)[["age", "weight", "share"]]
    gaps, _ = with_gaps(frame)
    gaps = gaps.astype(float).set_axis(pd.Index(np.arange(120) * 3 + 7, name="patient"))
    gaps.to_parquet(tmp_path / "t.parquet")
    assert main(["impute", str(tmp_path / "t.parquet"), str(tmp_path / "filled.parquet"), *CLI_FAST]) == 0
    assert main(["impute", str(tmp_path / "t.parquet"), str(tmp_path / "filled.csv"), *CLI_FAST]) == 0
    filled = pd.read_parquet(tmp_path / "filled.parquet")
    assert filled.index.equals(gaps.index) and list(filled.columns) == ["age", "weight", "share"]
    observed = gaps.notna().to_numpy()
    assert filled.notna().all().all() and (filled.to_numpy(float)[observed] == gaps.to_numpy(float)[observed]).all()
    assert pd.read_csv(tmp_path / "filled.csv").columns[0] == "patient"
    filled.to_parquet(tmp_path / "complete.parquet")
    assert main(["detect", str(tmp_path / "complete.parquet"), "--out", str(tmp_path / "flagged.parquet"), *CLI_FAST[:3]]) == 0
    flagged = pd.read_parquet(tmp_path / "flagged.parquet")
    assert flagged.index.equals(gaps.index) and list(flagged.columns) == ["age", "weight", "share", "outlier_score", "outlier"]


@pytest.mark.parametrize("command", ["impute", "detect"])
def test_an_all_empty_column_is_dropped_with_a_warning(tmp_path, capsys, command):
    frame = survey(n=120)[["age", "weight", "share"]].assign(notes=np.nan)
    if command == "impute":
        frame.loc[::5, "weight"] = np.nan
    frame.to_csv(tmp_path / "t.csv", index=False)
    out = tmp_path / "o.csv"
    argv = {"impute": ["impute", str(tmp_path / "t.csv"), str(out)], "detect": ["detect", str(tmp_path / "t.csv"), "--out", str(out)]}
    assert main([*argv[command], *CLI_FAST[:3]]) == 0
    err = capsys.readouterr().err
    if command == "impute":  # the imputer drops it from its output, as scikit-learn's imputers do
        assert "aekit impute: warning: column 'notes' of" in err
        assert "notes" not in pd.read_csv(out).columns
    else:  # detect dropped it from the table it wrote back, which --fitted kept: now left out as the detector leaves it out
        assert "aekit detect: warning: AutoEncoderOutlierDetector: columns left out of the model: 'notes' is empty" in err
        written = pd.read_csv(out)
        assert written.columns.tolist()[:4] == ["age", "weight", "share", "notes"] and written["notes"].isna().all()


@pytest.mark.parametrize("command", ["impute", "detect"])
def test_an_infinite_cell_is_refused_naming_file_column_row_and_na_values(tmp_path, capsys, command):
    frame = survey(n=60)[["age", "weight"]].astype({"weight": object})
    frame.loc[4, "weight"] = "-inf"
    frame.loc[7, "age"] = None
    frame.to_csv(tmp_path / "t.csv", index=False)
    argv = {"impute": ["impute", str(tmp_path / "t.csv"), str(tmp_path / "o.csv")],
            "detect": ["detect", str(tmp_path / "t.csv"), "--ignore", "age"]}
    assert main([*argv[command], *CLI_FAST[:3]]) == 1
    err = capsys.readouterr().err
    assert "t.csv': column 'weight' holds an infinite value (first in data row 5)" in err and "--na-values" in err, err
    assert "missing_values" not in err
    assert main([*argv[command], *CLI_FAST[:3], "--na-values=-inf"]) == (0 if command == "impute" else 1)


def test_an_infinite_cell_in_a_column_of_whole_numbers_is_refused_not_read_as_categories(tmp_path, capsys):
    """An 'inf' among whole numbers made the column text (infinity passed for a whole number
    too large for float64), so aekit detect scored '2', 'inf', '5' as categories and wrote
    the table without a word; the column stays numeric and the infinity is refused by name."""
    (tmp_path / "t.csv").write_text("a,b\n1,2\n3,inf\n4,5\n6,7\n")
    frame = read_csv_frame(tmp_path / "t.csv")
    assert frame["b"].dtype == np.float64 and np.isinf(frame["b"]).sum() == 1
    assert main(["detect", str(tmp_path / "t.csv"), "--out", str(tmp_path / "o.csv"), *CLI_FAST[:3]]) == 1
    err = capsys.readouterr().err
    assert "t.csv': column 'b' holds an infinite value (first in data row 2)" in err and "--na-values" in err, err
    assert not (tmp_path / "o.csv").exists()


def test_output_suffixes_are_read_whatever_their_case_and_a_wrong_one_is_refused_first(tmp_path, capsys):
    frame = survey(n=60)[["age", "weight"]]
    frame.to_csv(tmp_path / "t.csv", index=False)
    with_gaps(frame)[0].to_csv(tmp_path / "gaps.csv", index=False)
    assert main(["impute", str(tmp_path / "gaps.csv"), str(tmp_path / "FILLED.CSV"), *CLI_FAST[:3]]) == 0
    assert pd.read_csv(tmp_path / "FILLED.CSV").notna().all().all()
    assert main(["detect", str(tmp_path / "t.csv"), "--out", str(tmp_path / "FLAGGED.CSV"), *CLI_FAST[:3]]) == 0
    assert "outlier_score" in pd.read_csv(tmp_path / "FLAGGED.CSV").columns
    capsys.readouterr()
    assert main(["detect", str(tmp_path / "t.csv"), "--out", str(tmp_path / "flagged.txt"), *CLI_FAST[:3]]) == 1
    out = capsys.readouterr()
    assert "the output must end in .csv or .parquet" in out.err and "flagged" not in out.out  # refused before fitting


def test_a_fitted_imputer_fills_a_column_left_empty_in_a_new_batch(tmp_path, capsys):
    frame = survey(n=120)[["age", "weight", "share"]]
    gaps, _ = with_gaps(frame)
    gaps.to_csv(tmp_path / "t.csv", index=False)
    assert main(["impute", str(tmp_path / "t.csv"), str(tmp_path / "o.csv"), "--save", str(tmp_path / "imp"), *CLI_FAST]) == 0
    frame.head(6).assign(weight=np.nan).to_csv(tmp_path / "batch.csv", index=False)
    capsys.readouterr()
    assert main(["impute", str(tmp_path / "batch.csv"), str(tmp_path / "filled.csv"), "--fitted", str(tmp_path / "imp")]) == 0
    out = capsys.readouterr()
    assert "filled 6 missing entries in 1 column (weight)" in out.out and "dropped" not in out.err
    filled = pd.read_csv(tmp_path / "filled.csv")
    assert list(filled.columns) == ["age", "weight", "share"] and filled["weight"].notna().all()


@pytest.mark.parametrize("command", ["impute", "detect"])
def test_a_date_column_is_left_out_naming_it_and_refused_when_kept(tmp_path, capsys, command):
    frame = survey(n=60)[["age", "weight"]].assign(visited=pd.date_range("2024-01-01", periods=60, freq="D"))
    frame.loc[::7, "weight"] = np.nan
    if command == "detect":
        frame = frame.dropna()
    frame.to_parquet(tmp_path / "t.parquet")
    out = tmp_path / "o.csv"
    argv = {"impute": ["impute", str(tmp_path / "t.parquet"), str(out)],
            "detect": ["detect", str(tmp_path / "t.parquet"), "--out", str(out)]}
    assert main([*argv[command], *CLI_FAST[:3]]) == 0
    assert f"aekit {command}: warning: " in (err := capsys.readouterr().err) and "'visited' is a column of dates or times" in err
    assert pd.read_csv(out)["visited"].tolist() == frame["visited"].astype(str).tolist()
    assert main([*argv[command], *CLI_FAST[:3], "--ignore", "visited"]) == 0
    assert "dates" not in capsys.readouterr().err
    estimator = AutoEncoderImputer(**FAST) if command == "impute" else AutoEncoderOutlierDetector(AutoEncoder(max_epochs=2))
    with pytest.raises(ValueError, match=r"column 'visited' holds dates or times .*ignore_columns=\['visited'\]"):
        estimator.set_params(ignore_columns=None).fit(frame)


def test_train_leaves_a_date_column_out_with_a_warning(tmp_path, capsys):
    # it was learned as a category of one level per day, with a warning only
    frame = survey(n=60)[["age", "weight"]].dropna().assign(day=lambda f: pd.date_range("2024-01-01", periods=len(f), freq="6h")
                                                           .strftime("%Y-%m-%d"))
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--quiet", "--out", str(tmp_path / "run")]) == 0
    assert (f"aekit train: warning: columns of {str(tmp_path / 't.csv')!r} left out of the model: 'day' is a column of dates"
            in capsys.readouterr().err)
    assert json.loads((tmp_path / "run" / "data.json").read_text())["feature_names"] == ["age", "weight"]


# ---- plausible values and outputs that compose ------------------------------------------------


def test_imputations_keep_the_type_and_range_seen_in_fit_unless_told_not_to():
    frame = survey()
    gaps, mask = with_gaps(frame)
    gaps = gaps.astype({c: float for c in ("visits", "age", "share", "weight")})
    imp = AutoEncoderImputer(**FAST).fit(gaps)
    assert imp.layout_.integer.tolist() == [True, True, False, False]
    out = imp.set_output(transform="pandas").transform(gaps)
    assert list(out.columns) == list(frame.columns) and list(out.select_dtypes("number").columns) == list(frame.columns[:4])
    for column in ("visits", "age"):
        assert (out[column] == out[column].round()).all() and out[column].min() >= frame[column][~mask[:, 0]].min() - 1e-9
    assert out["share"].between(gaps["share"].min(), gaps["share"].max()).all()
    raw = imp.set_params(plausible_values=False).transform(gaps)
    assert (raw["age"] != raw["age"].round()).any()
    clipped = imp.set_params(plausible_values="range").transform(gaps)
    assert (clipped["age"] != clipped["age"].round()).any() and clipped["visits"].min() >= 0
    assert np.allclose(clipped["age"], raw["age"].clip(gaps["age"].min(), gaps["age"].max()))
    observed = ~mask
    assert np.array_equal(out.to_numpy()[observed], raw.to_numpy()[observed])
    draws = imp.set_params(plausible_values=True).sample_imputations(gaps, n=2, random_state=0)
    assert (draws[:, :, 0].astype(float) >= 0).all()


def test_a_column_with_few_levels_is_imputed_with_one_of_them(tmp_path):
    rng = np.random.default_rng(0)
    z = rng.normal(size=300)
    levels = np.array([-0.5, 1.25, 2.5])
    frame = pd.DataFrame({"measure": z + 0.1 * rng.normal(size=300), "rating": levels[np.digitize(z, [-0.4, 0.4])],
                          "score": 3 * z + rng.normal(size=300)})
    gaps, mask = with_gaps(frame, rate=0.25)
    gaps = gaps.astype(float)
    imp = AutoEncoderImputer(blend=None, **FAST).fit(gaps)  # the snapping to levels follows any imputation; no trees partner
    out = imp.transform(gaps)
    assert set(out[mask[:, 1], 1].tolist()) <= set(levels.tolist()) and len(set(out[mask[:, 1], 1].tolist())) > 1
    assert len(set(out[mask[:, 0], 0].tolist())) == mask[:, 0].sum()  # many levels: not snapped
    assert not set(imp.set_params(plausible_values="range").transform(gaps)[mask[:, 1], 1].tolist()) <= set(levels.tolist())
    path = imp.set_params(plausible_values=True).save(tmp_path / "imputer")
    assert np.array_equal(AutoEncoderImputer.load(path).transform(gaps), out)


def test_pandas_output_keeps_nullable_and_categorical_dtypes_and_numpy_output_holds_floats():
    frame = survey(n=160)
    gaps = frame.assign(visits=pd.array(frame["visits"], dtype="Int64"), group=pd.Categorical(frame["group"]))
    gaps.loc[::4, "visits"] = pd.NA
    gaps.loc[1::5, "group"] = np.nan
    imp = AutoEncoderImputer(**FAST).fit(gaps)
    out = imp.set_output(transform="pandas").transform(gaps)
    assert out.dtypes.astype(str).tolist() == ["Int64", "int64", "float64", "float64", "category"]
    assert set(out["group"].cat.categories) == {"high", "low", "mid"} and out["group"].notna().all()
    array = imp.set_output(transform="default").transform(gaps)
    assert array.dtype == object and all(isinstance(v, float) for v in array[:, :4].ravel())


def test_pandas_output_fills_a_text_column_that_arrives_all_missing_as_floats():
    frame = survey(n=80)[["age", "weight", "group"]]
    gaps, _ = with_gaps(frame)
    imp = AutoEncoderImputer(**{**FAST, "max_epochs": 2}, blend=None).set_output(transform="pandas").fit(gaps)
    batch = frame.head(5).assign(group=np.nan)  # pandas reads an empty text column as float64
    filled = imp.transform(batch)
    assert filled["group"].notna().all() and set(filled["group"]) <= {"high", "low", "mid"}
    assert filled["age"].tolist() == batch["age"].tolist()


def test_pandas_output_returns_observed_integers_beyond_float_precision_exactly():
    frame = survey(n=60)[["age", "weight"]]
    codes = 2**53 + 1 + 2 * (frame["age"].to_numpy() % 4)  # odd numbers past 2**53: float64 rounds them
    gaps = frame.assign(code=pd.array(codes, dtype="Int64"), stamp=codes * 100 + 1)
    gaps.loc[::6, "code"] = pd.NA
    gaps.loc[1::7, "weight"] = np.nan
    out = AutoEncoderImputer(**{**FAST, "max_epochs": 2}, blend=None).set_output(transform="pandas").fit_transform(gaps)
    observed = gaps["code"].notna()
    assert out["code"][observed].tolist() == gaps["code"][observed].tolist() and out["code"].notna().all()
    assert out["stamp"].tolist() == gaps["stamp"].tolist() and out["stamp"].dtype == np.int64


def test_imputer_and_detector_compose_with_a_column_transformer_by_name():
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = survey()
    gaps, _ = with_gaps(frame)
    gaps = gaps.astype({c: float for c in ("visits", "age", "share", "weight")})
    gaps["group"] = gaps["group"].astype(str)
    by_name = ColumnTransformer(
        [("num", StandardScaler(), ["visits", "age", "share", "weight"]), ("cat", OneHotEncoder(sparse_output=False), ["group"])]
    )
    detector = AutoEncoderOutlierDetector(AutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=60), contamination=0.05, random_state=0)
    pipe = make_pipeline(AutoEncoderImputer(**FAST), by_name, detector).set_output(transform="pandas")
    pipe.fit(gaps)
    odd = gaps.iloc[:3].assign(age=[30.0, 88.0, 20.0], weight=[110.0, 40.0, 120.0])
    assert (pipe.predict(odd) == -1).all()
    selected = ColumnTransformer([("imp", AutoEncoderImputer(**FAST), ["age", "weight", "group"])]).set_output(transform="pandas")
    out = selected.fit_transform(gaps)
    assert list(out.columns) == ["imp__age", "imp__weight", "imp__group"] and out["imp__age"].dtype == np.float64


def test_layout_ranges_survive_save_and_older_layouts_still_load(tmp_path):
    frame = survey(n=120)
    gaps, _ = with_gaps(frame)
    gaps = gaps.astype({c: float for c in ("visits", "age", "share", "weight")})
    imp = AutoEncoderImputer(**{**FAST, "max_epochs": 2}).fit(gaps)
    imp.save(tmp_path / "imp")
    loaded = AutoEncoderImputer.load(tmp_path / "imp")
    assert loaded.layout_.integer.tolist() == imp.layout_.integer.tolist()
    assert np.array_equal(loaded.transform(gaps), imp.transform(gaps))
    old = {k: v for k, v in imp.layout_.to_json().items() if k not in ("low", "high", "integer", "levels")}
    assert TableLayout.from_json(old).low is None
    before_levels = {k: v for k, v in imp.layout_.to_json().items() if k != "levels"}
    assert TableLayout.from_json(before_levels).levels is None and TableLayout.from_json(before_levels).low is not None
    with pytest.raises(ValueError, match="and low, high and integer, or none of them"):
        TableLayout.from_json({**old, "low": imp.layout_.low.tolist()})


# ---- a text column in the outlier score ---------------------------------------------------------


def test_each_categorical_column_carries_the_variance_of_one_numeric_column():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(5, 3, 500), "kind": rng.choice(list("abcdefghij"), 500, p=[0.3] + [0.7 / 9] * 9)})
    X = DetectionEncoding().fit_transform(frame)
    assert X.shape == (500, 11) and X.dtype == np.float32
    assert np.var(X[:, 0]) == pytest.approx(1.0, rel=1e-5) and np.var(X[:, 1:], axis=0).sum() == pytest.approx(1.0, rel=1e-5)


def test_the_detection_encoding_is_a_transformer_that_maps_back_to_the_table():
    from sklearn.base import clone

    frame = pd.DataFrame({"x": [1.5, -2.0, 3.25, 40.0, 5.0], "count": [1, 2, 3, 4, 7], "kind": ["a", "b", "a", "c", "b"],
                          "size": pd.Categorical(["s", "l", "l", "s", "l"])}, index=[10, 11, 12, 13, 14])
    encoding = DetectionEncoding()
    assert encoding.get_params() == {} and not hasattr(clone(encoding), "layout_")
    X = encoding.fit_transform(frame)
    assert X.dtype == np.float32 and np.array_equal(X, clone(encoding).fit(frame).transform(frame))
    assert encoding.get_feature_names_out().tolist() == ["x", "count", "kind=a", "kind=b", "kind=c", "size=l", "size=s"]
    assert encoding.get_feature_sources_out().tolist() == ["x", "count", "kind", "kind", "kind", "size", "size"]
    back = encoding.inverse_transform(X)
    assert back.shape == (5, 4) and back.dtype == object
    np.testing.assert_allclose(back[:, :2].astype(float), frame[["x", "count"]].to_numpy(dtype=float), rtol=1e-6)
    assert back[:, 2].tolist() == frame["kind"].tolist() and back[:, 3].tolist() == frame["size"].tolist()
    numeric = DetectionEncoding().fit(frame[["x", "count"]])
    np.testing.assert_allclose(numeric.inverse_transform(numeric.transform(frame[["x", "count"]])), frame[["x", "count"]], rtol=1e-6)
    assert not hasattr(clone(encoding), "layout_") and clone(encoding).get_params() == {}
    with pytest.warns(UserWarning, match=r"'kind' \['z'\] in 1 row"):
        unseen = encoding.transform(frame.assign(kind=["z", "a", "a", "a", "a"]))
    assert (unseen[0, 2:5] == 0).all() and np.array_equal(unseen[1:], encoding.transform(frame.assign(kind="a"))[1:])
    with pytest.raises(ValueError, match=r"columns \['x'\] have missing values"):
        encoding.transform(frame.assign(x=[1.0, np.nan, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match="feature names should match"):
        encoding.transform(frame[["count", "x", "kind", "size"]])
    with pytest.raises(ValueError, match="encodes 7 features"):
        encoding.inverse_transform(X[:, :3])


def test_a_rare_category_does_not_take_over_the_flags(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 400
    z = rng.normal(size=(n, 1))
    X = np.hstack([z, 2 * z, -z, z + 0.5]) + 0.05 * rng.normal(size=(n, 4))
    planted = rng.choice(n, 8, replace=False)
    X[planted] = rng.normal(size=(8, 4)) * 3
    kind = rng.choice(["common", "usual", "rare"], n, p=[0.6, 0.36, 0.04])
    pd.DataFrame(X, columns=list("abcd")).assign(kind=kind).to_csv(tmp_path / "t.csv", sep=";", index=False)
    argv = ["detect", str(tmp_path / "t.csv"), "--contamination", "0.04", "--out", str(tmp_path / "o.csv"), "--quiet"]
    assert main([*argv, "--set", "latent_dim=2", "--set", "hidden_dims=[16]"]) == 0
    flagged = pd.read_csv(tmp_path / "o.csv", sep=";")["outlier"].to_numpy()  # written back with the input's ';'
    assert flagged[planted].sum() >= 6
    assert flagged[kind == "rare"].mean() < 0.5


# ---- the command line itself ------------------------------------------------------------------


def test_ctrl_c_while_the_parser_starts_prints_one_line(monkeypatch, capsys):
    import aekit.cli as cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["--help"]) == 130
    assert capsys.readouterr().err.strip() == "aekit: interrupted"


def test_an_interrupt_before_the_first_epoch_does_not_claim_a_saved_epoch(tmp_path, monkeypatch, capsys):
    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(AutoEncoder, "fit", interrupted)
    assert main(["train", "--data", "digits", "--epochs", "1", "--out", str(tmp_path / "run"), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "nothing was saved to resume from" in err and "last finished epoch is saved" not in err


def test_a_column_of_free_text_is_not_one_hot_encoded(tmp_path, capsys):
    # a 'label<TAB>document' file (the R8 / 20 Newsgroups layout) took its first document as a column name
    # and trained on a one-hot category per document (5,430 features) without a word
    from aekit.data.columns import is_free_text

    rng = np.random.default_rng(0)
    words = np.array("the market rose as oil fell and the bank said rates would stay low this year".split())
    docs = [" ".join(rng.choice(words, size=rng.integers(5, 30))) for _ in range(60)]
    labels = rng.choice(["earn", "acq", "trade"], size=60)
    path = tmp_path / "docs.txt"
    path.write_text("".join(f"{label}\t{doc}\n" for label, doc in zip(labels, docs)))
    with pytest.warns(UserWarning, match="first row looks like data"):
        frame = read_csv_frame(path)
    assert list(frame.columns) == ["x0", "x1"] and len(frame) == 60
    with pytest.warns(UserWarning, match="first row looks like data"):
        assert main(["train", "--data", str(path), "--epochs", "1", "--quiet", "--out", str(tmp_path / "run")]) == 1
    assert "column 'x1' holds free text (" in capsys.readouterr().err
    table = survey(n=60)[["age", "weight"]].dropna().assign(note=lambda f: docs[: len(f)])
    with pytest.warns(UserWarning, match=r"'note' is free text \(sentences or documents"):
        AutoEncoderImputer(**FAST).fit(table.assign(age=table["age"].where(table.index % 5 > 0)))
    for values, free in ((docs, True), (list(labels), False), (["a short note"] * 60, False), (docs[:10], False)):
        assert is_free_text(pd.Series(values)) == free


def test_impute_leaves_out_the_set_ignore_columns_and_the_id_column_together(tmp_path, capsys):
    frame = survey(120)
    frame.insert(0, "id", np.arange(len(frame)) + 1000)
    gaps, mask = with_gaps(frame[["id", "visits", "age", "weight", "share"]])
    gaps["id"] = frame["id"]
    gaps.to_csv(tmp_path / "in.csv", index=False)
    args = ["impute", str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), "--quiet", "--epochs", "2",
            "--set", "hidden_dims=[8]", "--set", "ignore_columns=[weight]"]
    assert main([*args, "--id-column", "id"]) == 0
    filled = pd.read_csv(tmp_path / "out.csv")
    assert filled["weight"].isna().to_numpy().tolist() == gaps["weight"].isna().to_numpy().tolist()
    assert gaps["weight"].isna().any() and not filled["age"].isna().any()
    assert main([*args[:-1], "ignore_columns=null", "--ignore", "age"]) == 1
    assert "--set ignore_columns=null keeps every column in the model, but --ignore or --id-column leaves 'age' out" in (
        capsys.readouterr().err
    )


def test_detect_takes_the_autoencoder_parameters_by_the_names_its_errors_give(tmp_path, capsys):
    survey(120).to_csv(tmp_path / "t.csv", index=False)
    args = ["detect", str(tmp_path / "t.csv"), "--quiet", "--epochs", "2", "--set", "hidden_dims=[8]"]
    assert main([*args, "--set", "latent_dim=0"]) == 1
    assert "model.latent_dim:" in capsys.readouterr().err
    assert main([*args, "--set", "model.latent_dim=3", "--save", str(tmp_path / "det")]) == 0
    detector = AutoEncoderOutlierDetector.load(tmp_path / "det")
    assert detector.autoencoder.latent_dim == 3 and detector.autoencoder.hidden_dims == (8,)


@pytest.mark.parametrize("value", ["-1", "'-1'", '"-1"'])
def test_impute_reads_a_set_missing_values_as_yaml_like_every_set(tmp_path, capsys, value):
    rows = "\n".join(f"{i},{2 * i},{i + 3}" for i in range(1, 9))
    (tmp_path / "m.csv").write_text(f"a,b,c\n1,2,3\n-1,5,6\n7,?,9\n1.5,2.5,-1\n{rows}\n")
    args = ["impute", str(tmp_path / "m.csv"), str(tmp_path / "o.csv"), "--quiet", "--epochs", "1", "--set", "hidden_dims=[4]"]
    assert main([*args, "--set", f"missing_values={value}"]) == 0
    filled = pd.read_csv(tmp_path / "o.csv")
    assert "filled 3 missing entries in 3 columns" in capsys.readouterr().out
    assert filled.loc[1, "a"] != -1 and filled.loc[3, "c"] != -1 and filled.loc[0, "a"] == 1
    assert main([*args, "--set", "missing_values=[-1, '?']"]) == 1
    assert "missing_values is one placeholder (a number or a text), got [-1, '?']; give more with --na-values" in (
        capsys.readouterr().err
    )


def test_set_max_epochs_wins_over_epochs_on_detect_and_impute_as_on_train(tmp_path):
    survey(120).to_csv(tmp_path / "t.csv", index=False)
    with_gaps(survey(120))[0].to_csv(tmp_path / "g.csv", index=False)
    flags = ["--quiet", "--epochs", "5", "--set", "max_epochs=2", "--set", "hidden_dims=[8]"]
    assert main(["detect", str(tmp_path / "t.csv"), *flags, "--save", str(tmp_path / "det")]) == 0
    assert AutoEncoderOutlierDetector.load(tmp_path / "det").autoencoder.max_epochs == 2
    alone = ["--set", "blend=null", "--set", "n_members=1"]  # one network, no trees partner: only the settings are read
    assert main(["impute", str(tmp_path / "g.csv"), str(tmp_path / "o.csv"), *flags, *alone, "--save", str(tmp_path / "imp")]) == 0
    imputer = AutoEncoderImputer.load(tmp_path / "imp")
    assert imputer.max_epochs == 2 and imputer.random_state == 0


def test_a_semicolon_file_mixing_decimal_points_and_commas_by_column_reads_both_as_numbers(tmp_path):
    # the column written with decimal commas ('2,5', '5,25') beside one with decimal points was read as text,
    # so it became a category of three levels instead of a number
    path = tmp_path / "mixed.csv"
    path.write_text("a;b;c\n1.5;2,5;3\n2.5;3,5;4\n4;5,25;6\n")
    frame = read_csv_frame(path)
    assert frame["b"].tolist() == [2.5, 3.5, 5.25] and frame["a"].tolist() == [1.5, 2.5, 4.0]
    path.write_text("a;b\n1.5;x,5\n2;2,5\n")  # not all numbers: kept as text
    assert read_csv_frame(path)["b"].tolist() == ["x,5", "2,5"]


def test_impute_writes_a_true_false_column_with_gaps_back_as_true_false(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=60)
    flags = pd.Series(x > 0, dtype=object).where(np.arange(60) % 7 > 0, None)
    spelled = flags.map({True: "TRUE", False: "FALSE"})  # as spreadsheets write them: it came back True/False
    pd.DataFrame({"x": x, "y": 2 * x, "f": flags, "g": spelled}).to_csv(tmp_path / "in.csv", index=False)
    assert main(["impute", str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), "--quiet", "--epochs", "2"]) == 0
    filled = pd.read_csv(tmp_path / "out.csv")
    assert filled["f"].dtype == bool and filled["f"][flags.notna()].tolist() == flags.dropna().tolist()
    text = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert text["g"].isin(["TRUE", "FALSE"]).all() and text["g"][flags.notna()].tolist() == spelled.dropna().tolist()
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "out.csv"), "--epochs", "1", "--out", str(run), "--quiet"]) == 0
    assert main(["reconstruct", str(run), str(tmp_path / "out.csv"), str(tmp_path / "rec.csv")]) == 0
    written = pd.read_csv(tmp_path / "rec.csv", dtype=str)
    assert written["g"].isin(["TRUE", "FALSE"]).all() and written["f"].isin(["True", "False"]).all()
    (tmp_path / "mixed.csv").write_text("a,ok\n1,TRUE\n2,true\n3,false\n4,true\n")  # each value's usual spelling
    assert read_csv_frame(tmp_path / "mixed.csv").attrs[BOOLEAN_SPELLINGS] == {"ok": ("true", "false")}


def test_detect_fitted_on_a_headerless_file_keeps_its_true_false_spelling(tmp_path):
    # the file's columns took the fitted detector's names, but its TRUE/FALSE spellings stayed under x0, x1, ...,
    # so --out wrote True/False
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    table = pd.DataFrame({"x": x, "y": 2 * x + 0.1, "f": np.where(x > 0, "TRUE", "FALSE")})
    detector = AutoEncoderOutlierDetector(AutoEncoder(max_epochs=1, hidden_dims=(4,), latent_dim=1), random_state=0)
    detector.fit(table.assign(f=x > 0)).save(tmp_path / "det")
    table.to_csv(tmp_path / "in.csv", index=False, header=False)
    out = tmp_path / "out.csv"
    assert main(["detect", str(tmp_path / "in.csv"), "--fitted", str(tmp_path / "det"), "--out", str(out), "--quiet"]) == 0
    written = pd.read_csv(out, dtype=str, header=None)
    assert written.shape[1] == 5 and written[2].tolist() == table["f"].tolist()
    assert written[4].isin(["TRUE", "FALSE"]).all(), "the added outlier column spelled as the file's (it was True/False)"


def test_a_csv_read_without_a_header_is_written_back_without_one(tmp_path, capsys):
    # impute and detect --out wrote a made-up header x0,x1,... above the rows of a headerless file
    x = np.random.default_rng(4).normal(size=40)
    table = pd.DataFrame({"a": np.round(x, 3), "b": np.round(2 * x + 0.5, 3), "c": np.round(1 - x, 3)})
    table.to_csv(tmp_path / "in.csv", index=False, header=False)
    out = tmp_path / "out.csv"
    assert main(["detect", str(tmp_path / "in.csv"), "--out", str(out), "--epochs", "1", "--quiet"]) == 0
    written = pd.read_csv(out, header=None)
    assert written.shape == (40, 5) and np.allclose(written.iloc[:, :3], table) and written[4].dtype == bool
    assert f"wrote {out} (without a header, as {str(tmp_path / 'in.csv')!r}: its columns, then outlier_score, outlier)" in (
        capsys.readouterr().out)
    gaps = table.astype(object)
    gaps.iloc[::7, 1] = None
    gaps.to_csv(tmp_path / "gaps.csv", index=False, header=False)
    flags = ["--quiet", "--epochs", "1", "--set", "hidden_dims=[4]", "--set", "n_members=1", "--no-header"]
    assert main(["impute", str(tmp_path / "gaps.csv"), str(tmp_path / "filled.csv"), *flags]) == 0
    filled = pd.read_csv(tmp_path / "filled.csv", header=None)
    assert filled.shape == (40, 3) and not filled.isna().any().any()
    np.testing.assert_allclose(filled.to_numpy()[gaps.notna().to_numpy()], table.to_numpy()[gaps.notna().to_numpy()])


def test_impute_keeps_a_float_column_without_gaps_float_and_writes_a_gapped_count_whole(tmp_path):
    # a float64 column of whole values and no gaps came back int64 (a CSV's 45636.0 as 45636), and so did a CSV's
    # column of whole numbers with gaps written 13.0
    x = np.random.default_rng(5).normal(size=40)
    table = pd.DataFrame({"w": np.round(1000 * x) + 45636.0, "n": np.round(3 * x) + 10, "x": x})
    table.loc[::6, "n"] = np.nan
    table.loc[1::6, "x"] = np.nan
    table.to_parquet(tmp_path / "g.parquet")
    table.astype({"n": "Int64"}).assign(v=table["n"]).to_csv(tmp_path / "g.csv", index=False)  # v: 13.0 and gaps
    flags = ["--quiet", "--epochs", "1", "--set", "hidden_dims=[4]", "--set", "n_members=1"]
    assert main(["impute", str(tmp_path / "g.parquet"), str(tmp_path / "out.parquet"), *flags]) == 0
    filled = pd.read_parquet(tmp_path / "out.parquet")
    assert filled.dtypes.astype(str).tolist() == ["float64", "int64", "float64"] and filled["w"].equals(table["w"])
    assert main(["impute", str(tmp_path / "g.csv"), str(tmp_path / "out.csv"), *flags]) == 0
    text = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert text["w"].str.endswith(".0").all() and not text["n"].str.contains(".", regex=False).any()
    assert text["v"].str.endswith(".0").all(), "written with decimals in the CSV read, so with them again"


def test_impute_writes_a_column_of_prices_back_with_the_decimals_every_cell_had(tmp_path):
    # prices written 19.90, 50.00 came back 19.9, 50.0 (only whole numbers written 13.0 kept their zeros); a
    # column of mixed decimals is written as before, and a ';' file with decimal commas keeps its commas
    price = ["19.90", "50.00", "", "30.95", "12.10", "8.00", "44.50", "", "27.35", "10.00"]
    mixed = ["1.5", "2.25", "3", "", "4.125", "2.0", "1.75", "3.5", "2.5", "1.0"]
    flags = ["--quiet", "--epochs", "1", "--set", "hidden_dims=[4]", "--set", "n_members=1"]
    for sep, mark in ((",", "."), (";", ",")):
        rows = [sep.join(cells).replace(".", mark) for cells in zip(price, mixed, map(str, range(10)))]
        (tmp_path / "p.csv").write_text(sep.join(["price", "mixed", "n"]) + "\n" + "\n".join(rows) + "\n")
        assert main(["impute", str(tmp_path / "p.csv"), str(tmp_path / "out.csv"), *flags]) == 0
        text = pd.read_csv(tmp_path / "out.csv", sep=sep, dtype=str)
        assert text["price"].str.fullmatch(rf"\d+{re.escape(mark)}\d\d").all(), text["price"].tolist()
        observed = [p for p in price if p]
        assert [t for t, p in zip(text["price"], price) if p] == [p.replace(".", mark) for p in observed]
        assert [t for t, m in zip(text["mixed"], mixed) if m] == [(m if "." in m else m + ".0").replace(".", mark) for m in mixed if m]


def test_decimals_are_learned_from_a_sample_of_the_text_and_checked_on_every_value(tmp_path):
    # learning them from every float cell's text made reading a 100,000 x 20 table ten times slower; a column's
    # decimals now come from its first rows' text, and count only when every value of it fits them
    from aekit.data._csv_reading import TEXT_SAMPLE_ROWS
    from aekit.data.datasets import WHOLE_WITH_DECIMALS, read_csv_frame

    n = TEXT_SAMPLE_ROWS + 10
    fits, beyond = ["1.50"] * n, ["1.50"] * (n - 1) + ["1.505"]
    (tmp_path / "t.csv").write_text("fits,beyond,n\n" + "".join(f"{a},{b},{i}\n" for i, (a, b) in enumerate(zip(fits, beyond))))
    assert read_csv_frame(tmp_path / "t.csv").attrs[WHOLE_WITH_DECIMALS] == {"fits": 2}


def test_an_imputer_saved_by_impute_from_a_table_with_an_empty_column_takes_that_table_again(tmp_path):
    # the command dropped the empty column before fitting, so the saved imputer refused the same table in Python
    # ('Feature names unseen at fit time: - notes') and the table without its header with --fitted
    frame, _ = with_gaps(survey(40))
    frame.assign(notes=np.nan).to_csv(tmp_path / "in.csv", index=False)
    flags = ["--quiet", "--epochs", "1", "--set", "hidden_dims=[8]", "--set", "n_members=1", "--set", "blend=null"]
    saved = tmp_path / "imp"
    assert main(["impute", str(tmp_path / "in.csv"), str(tmp_path / "out.csv"), *flags, "--save", str(saved)]) == 0
    written = pd.read_csv(tmp_path / "out.csv")
    assert "notes" not in written.columns and not written.isna().any().any()
    imputer = AutoEncoderImputer.load(saved).set_output(transform="pandas")
    again = imputer.transform(pd.read_csv(tmp_path / "in.csv"))
    np.testing.assert_allclose(again.select_dtypes("number"), written[again.columns].select_dtypes("number"))
    (tmp_path / "bare.csv").write_text((tmp_path / "in.csv").read_text().split("\n", 1)[1])
    assert main(["impute", str(tmp_path / "bare.csv"), str(tmp_path / "bare_out.csv"), "--fitted", str(saved), "--quiet"]) == 0
    assert pd.read_csv(tmp_path / "bare_out.csv", header=None, names=pd.read_csv(tmp_path / "in.csv").columns).drop(
        columns="notes").equals(written)


def test_a_header_that_repeats_a_column_name_is_read_with_a_warning(tmp_path, capsys):
    # 'x,x,y' was read as x, x.1, y and written back so by aekit detect --out without a word
    path = tmp_path / "dup.csv"
    path.write_text("x,x,y\n" + "".join(f"{i},{2 * i},{i % 3}\n" for i in range(40)))
    with pytest.warns(UserWarning, match=r"the header repeats the column name 'x' \(2 times\); the later ones are read as 'x.1'"):
        assert list(read_csv_frame(path).columns) == ["x", "x.1", "y"]
    assert main(["detect", str(path), "--epochs", "1", "--quiet", "--out", str(tmp_path / "o.csv")]) == 0
    assert "the header repeats the column name 'x'" in capsys.readouterr().err


def test_a_model_folder_leaves_out_an_id_column_beside_its_columns_and_refuses_another_column_by_name(tmp_path, capsys):
    # a model saved from a DataFrame of numbers refused a CSV with an ID column beside them as
    # 'unexpected customer_id=C0000, customer_id=C0001, ...', then as 'unexpected customer_id' (encode,
    # reconstruct and generate --data alike), where a run leaves such a column out and names its rows by it
    rng = np.random.default_rng(0)
    numbers = pd.DataFrame({"spend": rng.random(20), "visits": rng.random(20)})
    model = AutoEncoder(max_epochs=1, hidden_dims=(4,), latent_dim=1, random_state=0).fit(numbers)
    model.save(tmp_path / "m")
    numbers.assign(customer_id=[f"C{i:04d}" for i in range(20)]).to_csv(tmp_path / "t.csv", index=False)
    with pytest.warns(UserWarning, match="the column 'customer_id', which the model was not trained on, looks like row identifiers"):
        assert main(["encode", str(tmp_path / "m"), str(tmp_path / "t.csv"), str(tmp_path / "codes.csv")]) == 0
    codes = pd.read_csv(tmp_path / "codes.csv")
    assert codes["id"].tolist() == [f"C{i:04d}" for i in range(20)]
    np.testing.assert_allclose(codes["ae0"].to_numpy(), model.transform(numbers)[:, 0], atol=1e-6)
    numbers.to_csv(tmp_path / "plain.csv", index=False)  # warned that X has no valid feature names
    assert main(["generate", str(tmp_path / "m"), str(tmp_path / "g.csv"), "-n", "2", "--data", str(tmp_path / "plain.csv")]) == 0
    numbers.assign(note=rng.choice(["a", "b"], 20)).to_csv(tmp_path / "n.csv", index=False)
    assert main(["encode", str(tmp_path / "m"), str(tmp_path / "n.csv"), str(tmp_path / "codes.csv")]) == 1
    assert capsys.readouterr().err.rstrip().endswith(
        "does not have the columns the model was trained on (spend, visits): unexpected note")


def test_a_model_folder_fitted_on_a_bool_column_reads_a_csv_of_it_as_the_numbers_it_was_fitted_on(tmp_path, capsys):
    # the CSV's True/False column was one-hot encoded as active=False, active=True, and the model (fitted on it as
    # one 0/1 column) refused the file as 'missing active; unexpected active=False, active=True'
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"spend": rng.random(20), "active": rng.random(20) > 0.5, "visits": rng.random(20)})
    model = AutoEncoder(max_epochs=1, hidden_dims=(4,), latent_dim=1, random_state=0).fit(frame)
    model.save(tmp_path / "m")
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert main(["encode", str(tmp_path / "m"), str(tmp_path / "t.csv"), str(tmp_path / "codes.csv")]) == 0
    codes = pd.read_csv(tmp_path / "codes.csv")["ae0"].to_numpy()
    np.testing.assert_allclose(codes, model.transform(frame)[:, 0], atol=1e-6)
    frame.to_csv(tmp_path / "bare.csv", index=False, header=False)  # its columns taken in the model's order
    assert main(["encode", str(tmp_path / "m"), str(tmp_path / "bare.csv"), str(tmp_path / "bare_codes.csv"), "--no-header"]) == 0
    np.testing.assert_allclose(pd.read_csv(tmp_path / "bare_codes.csv")["ae0"].to_numpy(), codes)
    frame.astype({"visits": object}).assign(visits=["many"] * 20).to_csv(tmp_path / "text.csv", index=False)
    assert main(["encode", str(tmp_path / "m"), str(tmp_path / "text.csv"), str(tmp_path / "codes.csv")]) == 1
    assert "holds text where the model was trained on numbers, in the column visits ('many')" in capsys.readouterr().err


def test_a_table_with_other_columns_is_refused_naming_its_columns_not_their_one_hot_features(tmp_path):
    """A run trained on a table with a text column read another table and refused it as 'has 4
    features but the model was trained on 9; missing ['customer_id=C0000', ...], unexpected ['x',
    'kind=p', ...]' (or 'has 9 features but ... trained on 9' for one renamed column), for
    encode, reconstruct, evaluate and explore alike; it now names the table's columns."""
    rng = np.random.default_rng(0)
    trained = pd.DataFrame({"customer_id": [f"C{i % 5:04d}" for i in range(20)], "spend": rng.random(20),
                            "visits": rng.integers(0, 9, 20), "region": rng.choice(["n", "s"], 20)})
    trained.to_csv(tmp_path / "a.csv", index=False)
    pd.DataFrame({"x": rng.random(20), "kind": rng.choice(["p", "q"], 20)}).to_csv(tmp_path / "other.csv", index=False)
    trained.rename(columns={"visits": "visits2"}).to_csv(tmp_path / "renamed.csv", index=False)
    reader = reader_for(tmp_path / "a.csv")
    reader.fit(tmp_path / "a.csv")
    model = "does not have the columns the model was trained on (customer_id, spend, visits, region): missing "
    with pytest.raises(ValueError, match=model.replace("(", r"\(").replace(")", r"\)") + "customer_id, spend, visits, "
                       "region; unexpected x, kind$"):
        reader.read(tmp_path / "other.csv")
    with pytest.raises(ValueError, match=r"missing visits; unexpected visits2$"):
        reader.read(tmp_path / "renamed.csv")
    assert reader.read(tmp_path / "a.csv").X.shape == (20, 9)


def test_timestamps_in_seconds_seconds_apart_keep_their_difference_in_a_run(tmp_path):
    # a table read for 'aekit train' became float32 before its scaling, so timestamps of 2026 in seconds were
    # rounded to 128 s: 195 distinct times in an hour were 29 values, and two rows 3 s apart had the same code
    from aekit.app.runs import open_model

    rng = np.random.default_rng(0)
    n = 200
    table = pd.DataFrame({"ts": 1796673399 + rng.permutation(3600)[:n], "a": rng.normal(size=n), "b": rng.normal(size=n)})
    table.loc[n - 1] = table.loc[n - 2] + [3, 0, 0]  # the last two rows: 3 s apart, equal otherwise
    table.to_csv(tmp_path / "t.csv", index=False)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "1", "--set", "data.test_fraction=0.1",
                 "--quiet", "--out", str(run)]) == 0
    model = open_model(run)
    scaled = model.scaling.transform(model.split.X_train)
    assert len(np.unique(scaled[:, 0])) == model.split.X_train.shape[0]
    assert main(["encode", str(run), str(tmp_path / "t.csv"), str(tmp_path / "codes.npy")]) == 0
    codes = np.load(tmp_path / "codes.npy")
    assert not np.array_equal(codes[-1], codes[-2])


def test_a_model_folder_reads_a_table_with_an_id_column_once(tmp_path, monkeypatch):
    # encode with a model folder read the CSV twice: once to look for an ID column beside the model's, once for its rows
    from aekit.data.readers import TableReader

    rng = np.random.default_rng(0)
    numbers = pd.DataFrame({"spend": rng.random(20), "visits": rng.random(20)})
    AutoEncoder(max_epochs=1, hidden_dims=(4,), latent_dim=1, random_state=0).fit(numbers).save(tmp_path / "m")
    numbers.assign(customer_id=[f"C{i:04d}" for i in range(20)]).to_csv(tmp_path / "t.csv", index=False)
    reads, frame = [], TableReader.frame
    monkeypatch.setattr(TableReader, "frame", lambda self, source: reads.append(source) or frame(self, source))
    with pytest.warns(UserWarning, match="looks like row identifiers"):
        assert main(["encode", str(tmp_path / "m"), str(tmp_path / "t.csv"), str(tmp_path / "codes.csv")]) == 0
    assert reads == [str(tmp_path / "t.csv")]
    assert pd.read_csv(tmp_path / "codes.csv")["id"].tolist() == [f"C{i:04d}" for i in range(20)]


def test_timestamps_in_seconds_are_written_back_to_the_second_by_reconstruct_generate_and_impute(tmp_path, capsys):
    # reconstructions and samples were taken back to the table's units in float32, so timestamps of 2026 in seconds
    # came back as multiples of 128 s (the float32 spacing there): 200 times within an hour were about 29 values
    rng = np.random.default_rng(0)
    n = 200
    z = rng.normal(size=n)
    table = pd.DataFrame({"ts": 1796673399 + rng.permutation(3600)[:n], "a": (z + 0.1 * rng.normal(size=n)).round(3),
                          "b": (2 * z + 0.1 * rng.normal(size=n)).round(3)})
    table.to_csv(tmp_path / "t.csv", index=False)
    run = str(tmp_path / "run")
    assert main(["train", "--data", str(tmp_path / "t.csv"), "--epochs", "2", "--set", "model.hidden_dims=[8]", "--quiet",
                 "--out", run]) == 0
    assert main(["reconstruct", run, str(tmp_path / "t.csv"), str(tmp_path / "rec.csv")]) == 0
    assert main(["generate", run, str(tmp_path / "gen.csv"), "--n-samples", "50"]) == 0
    for name, rows in (("rec.csv", n), ("gen.csv", 50)):
        ts = pd.read_csv(tmp_path / name)["ts"].to_numpy()
        assert len(ts) == rows and np.mean(ts % 128 != 0) > 0.5, name
    assert pd.read_csv(tmp_path / "rec.csv")["ts"].nunique() > n // 4
    gaps = table.astype({"a": float})
    gaps.loc[[3, 17, 40], "a"] = np.nan
    gaps.to_csv(tmp_path / "gaps.csv", index=False)
    assert main(["impute", str(tmp_path / "gaps.csv"), str(tmp_path / "filled.csv"), *CLI_FAST]) == 0
    filled = pd.read_csv(tmp_path / "filled.csv")
    assert filled["ts"].tolist() == table["ts"].tolist() and filled["a"].notna().all()
