"""Data larger than memory (streamed .npy and Parquet files) and mixed precision."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from aekit import AutoEncoder, VariationalAutoEncoder
from aekit.data._sources import NpySource
from aekit.data.readers import open_source
from tests.conftest import write_random_npy

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(3000, 3)) @ rng.normal(size=(3, 10))).astype(np.float32)


@pytest.fixture
def npy(tmp_path, table):
    path = tmp_path / "table.npy"
    np.save(path, table)
    return path


def small(**kw):
    return AutoEncoder(latent_dim=3, hidden_dims=(16,), max_epochs=4, random_state=0, **kw)


def test_fit_streams_a_npy_file_and_transform_matches_in_memory(npy, table):
    ae = small().fit(npy)
    assert ae.n_features_in_ == 10 and len(ae.history_["loss"]) == 4
    assert ae.history_["loss"][-1] < ae.history_["loss"][0]
    for streamed in (npy, str(npy), np.load(npy, mmap_mode="r")):
        np.testing.assert_allclose(ae.transform(streamed), ae.transform(table), atol=1e-5)
        np.testing.assert_allclose(ae.score_samples(streamed), ae.score_samples(table), rtol=1e-5, atol=1e-7)
    assert isinstance(open_source(np.load(npy, mmap_mode="r")), NpySource)
    assert open_source(np.load(npy, mmap_mode="r")[10:]) is None  # a view is ordinary in-memory data


def test_fit_streams_parquet_row_groups(tmp_path, table):
    import pandas as pd
    path = tmp_path / "table.parquet"
    frame = pd.DataFrame(table, columns=[f"f{i}" for i in range(10)])
    frame.to_parquet(path, row_group_size=700)
    ae = small().fit(path)
    assert list(ae.feature_names_in_) == [f"f{i}" for i in range(10)]
    np.testing.assert_allclose(ae.transform(path), ae.transform(frame), atol=1e-5)
    frame.rename(columns={"f3": "other"}).to_parquet(tmp_path / "renamed.parquet")
    with pytest.raises(ValueError, match="column names"):
        ae.transform(tmp_path / "renamed.parquet")
    source = open_source(path)
    np.testing.assert_array_equal(source.read(650, 1500), table[650:1500])


def test_small_parquet_row_groups_and_files_train_with_the_batch_size_asked(tmp_path, npy, table):
    # each row group was a chunk of its own: groups of 10 rows made every step one of 10 rows
    # (40 steps an epoch for 400 rows at batch_size=64), a fit unlike the same rows' .npy
    import pandas as pd
    frame = pd.DataFrame(table[:400], columns=[f"f{i}" for i in range(10)])
    frame.to_parquet(tmp_path / "groups.parquet", row_group_size=10)
    folder = tmp_path / "files"
    folder.mkdir()
    for i in range(8):
        frame.iloc[50 * i : 50 * (i + 1)].to_parquet(folder / f"part-{i}.parquet")
    np.save(npy, table[:400])

    def fit(X):
        return [w.numpy() for w in small(batch_size=64, validation_fraction=0.0).fit(X).module_.state_dict().values()]

    expected = fit(npy)
    for path in (tmp_path / "groups.parquet", folder):
        for weights, same in zip(fit(path), expected):
            np.testing.assert_array_equal(weights, same)
    assert open_source(folder).chunks(120) == [(0, 100), (100, 200), (200, 300), (300, 400)]
    assert open_source(tmp_path / "groups.parquet").chunks(25) == [(0, 20), (20, 40)] + [(s, s + 20) for s in range(40, 400, 20)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_streamed_rows_give_the_dtype_the_same_rows_in_memory_give(tmp_path, table, dtype):
    """A float64 memmap's (or .npy or Parquet path's) transform, reconstruct and score_samples were
    float32 where the float64 array in memory gave float64 (streamed blocks were read as float32);
    they now follow the stored dtype as scikit-learn reads it (float32 kept, others float64), values and all."""
    import pandas as pd

    rows = (table[:400] * (100 if dtype == np.int64 else 1)).astype(dtype)
    np.save(tmp_path / "rows.npy", rows)
    pd.DataFrame(rows, columns=[f"f{i}" for i in range(10)]).to_parquet(tmp_path / "rows.parquet")
    ae = small().fit(rows)
    expected = np.float32 if dtype == np.float32 else np.float64
    for streamed in (np.load(tmp_path / "rows.npy", mmap_mode="r"), tmp_path / "rows.npy", tmp_path / "rows.parquet"):
        for method in ("transform", "reconstruct", "score_samples"):
            got, want = getattr(ae, method)(streamed), getattr(ae, method)(rows)
            assert got.dtype == want.dtype == expected, (streamed, method)
            np.testing.assert_allclose(got, want, rtol=1e-6 if expected == np.float32 else 1e-12)

def test_a_parquet_folder_reads_upper_case_files_and_skips_hidden_ones(tmp_path, table):
    """A folder as other tools leave it: PART-0.PARQUET (upper-case suffix) was skipped, and a
    Mac's AppleDouble `._part-1.parquet` (not Parquet at all) stopped the read as corrupt."""
    import pandas as pd
    folder = tmp_path / "rows"
    folder.mkdir()
    frame = pd.DataFrame(table, columns=[f"f{i}" for i in range(10)])
    frame.iloc[:1500].to_parquet(folder / "PART-0.PARQUET")
    frame.iloc[1500:].to_parquet(folder / "part-1.parquet")
    (folder / "._part-1.parquet").write_bytes(b"\x00\x05\x16\x07 not parquet")
    source = open_source(folder)
    assert source.n_rows == len(table)
    np.testing.assert_array_equal(source.read(1400, 1600), table[1400:1600])


def test_streamed_data_is_checked_chunk_by_chunk(tmp_path, table):
    bad = table.copy()
    bad[2500, 4] = np.nan
    np.save(tmp_path / "bad.npy", bad)
    with pytest.raises(ValueError, match=r"X: .*bad\.npy.* NaN or infinite value in row 2500"):
        small().fit(tmp_path / "bad.npy")
    np.save(tmp_path / "narrow.npy", table[:, :4])
    ae = small().fit(table)
    with pytest.raises(ValueError, match="X has 4 features, but AutoEncoder is expecting 10"):
        ae.transform(tmp_path / "narrow.npy")
    np.save(tmp_path / "words.npy", np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="numbers are needed"):
        small().fit(tmp_path / "words.npy")
    with pytest.raises(FileNotFoundError, match="X: no file"):
        small().fit(tmp_path / "absent.npy")
    (tmp_path / "notes.txt").write_text("1,2")
    with pytest.raises(ValueError, match="cannot stream"):
        small().fit(tmp_path / "notes.txt")


@pytest.mark.parametrize("dtype, scale", [(np.uint8, 255), (np.int64, 900)])
def test_fitting_a_path_to_integers_warns_that_a_run_reads_them_divided(tmp_path, dtype, scale):
    # AutoEncoder().fit('ints.npy') trained on the integers as stored while 'aekit train --data ints.npy' divided them
    # by 255 (uint8) or their largest, silently: two models of one file that take different rows
    import warnings

    from aekit.data.datasets import load_npy
    from aekit.data.readers import reader_for

    ints = np.random.default_rng(0).integers(0, 200, size=(40, 4)).astype(dtype)
    ints[0, 0] = 200 if dtype == np.uint8 else -scale
    path = tmp_path / "ints.npy"
    np.save(path, ints)
    run_rows = reader_for(path).fit(path).X  # what aekit train reads
    np.testing.assert_allclose(run_rows, ints / scale, rtol=1e-6)
    message = (rf"X: '{path}' holds {np.dtype(dtype)} integers, which AutoEncoder streams as stored \(from {ints.min()} to "
               rf"{ints.max()}\), while 'aekit train --data' reads the file divided by {scale}, as "
               r"aekit.data.datasets.load_npy does: pass load_npy\(path\).X")
    with pytest.warns(UserWarning, match=message):
        AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(path)
    np.testing.assert_allclose(load_npy(path).X, run_rows)  # the advice gives a run's rows
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0)
        model.fit(np.load(path, mmap_mode="r"))  # the integers as they are, asked for


@pytest.mark.parametrize("levels", [["visit"], ["site", "visit"]], ids=["index", "multiindex"])
def test_a_parquet_path_streams_the_columns_pandas_reads_not_its_index(tmp_path, table, levels):
    # fit('t.parquet') took a named index pandas wrote (visit numbers) as a fourth feature, where pandas.read_parquet
    # and the command line keep it apart, and a MultiIndex with a text level was refused as a non-numeric column
    import pandas as pd

    frame = pd.DataFrame(table[:60, :3], columns=["a", "b", "c"])
    frame["site"], frame["visit"] = np.repeat(["north", "south"], 30), np.arange(60) ** 2 + 1000  # not a range: a column
    frame.set_index(levels).drop(columns=["site"], errors="ignore").to_parquet(tmp_path / "t.parquet")
    streamed = AutoEncoder(latent_dim=2, hidden_dims=(8,), max_epochs=1, random_state=0).fit(tmp_path / "t.parquet")
    assert list(streamed.feature_names_in_) == ["a", "b", "c"]
    in_memory = pd.read_parquet(tmp_path / "t.parquet")
    np.testing.assert_allclose(streamed.transform(tmp_path / "t.parquet"), streamed.transform(in_memory), rtol=1e-6)


def test_vae_streams_too(tmp_path, table):
    unit = (table - table.min()) / (table.max() - table.min())
    np.save(tmp_path / "unit.npy", unit)
    vae = VariationalAutoEncoder(latent_dim=2, hidden_dims=(16,), max_epochs=2, random_state=0).fit(tmp_path / "unit.npy")
    assert vae.score_samples(tmp_path / "unit.npy").shape == (3000,)


@pytest.mark.slow
def test_fit_on_a_file_larger_than_the_process_may_hold(tmp_path):
    """Under an address-space limit 150 MB above what the process uses, loading a 192 MB file
    fails while fit/transform/score_samples stream it."""
    resource = pytest.importorskip("resource")
    if not hasattr(resource, "RLIMIT_AS") or not sys.platform.startswith("linux"):
        pytest.skip("needs Linux's RLIMIT_AS")
    path = write_random_npy(tmp_path / "big.npy", 1_500_000, 32)
    script = textwrap.dedent(
        """
        import resource, sys
        import numpy as np, torch
        torch.set_num_threads(1)
        from aekit import AutoEncoder
        AutoEncoder(latent_dim=2, max_epochs=1, random_state=0).fit(np.random.rand(300, 32))
        size = next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith("VmSize"))
        limit = size + 150 * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        try:
            np.load(sys.argv[1])
            print("loaded")
        except MemoryError:
            print("refused")
        ae = AutoEncoder(latent_dim=2, hidden_dims=(16,), batch_size=1024, max_epochs=1, random_state=0).fit(sys.argv[1])
        print(ae.transform(sys.argv[1]).shape, ae.score_samples(sys.argv[1]).shape)
        """
    )
    result = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split("\n")[:2] == ["refused", "(1500000, 2) (1500000,)"]


@pytest.mark.slow
@pytest.mark.parametrize("precision", ["bf16-mixed", "16-mixed"])
def test_mixed_precision_reaches_the_float32_loss(digits, precision):
    X = digits[0]
    fp32 = AutoEncoder(latent_dim=8, max_epochs=15, random_state=0).fit(X)
    mixed = AutoEncoder(latent_dim=8, max_epochs=15, random_state=0, precision=precision).fit(X)
    assert mixed.transform(X).dtype == X.dtype
    assert mixed.history_["loss"][-1] == pytest.approx(fp32.history_["loss"][-1], rel=0.05)


def test_precision_is_validated(digits):
    with pytest.raises(ValueError, match="precision"):
        AutoEncoder(precision="fp8").fit(digits[0])


def test_persistent_bfloat16_weights_give_the_gradients_autocast_gives(digits):
    import torch

    from aekit.training._precision import BFloat16Weights, autocast

    X = torch.tensor(digits[0][:64], dtype=torch.float32)
    module = AutoEncoder(latent_dim=8, hidden_dims=(32,), max_epochs=1, random_state=0).fit(digits[0][:64]).module_.train()
    with autocast("bf16-mixed", torch.device("cpu")):
        module(X, X).loss.backward()
    expected = {name: p.grad.clone() for name, p in module.named_parameters()}
    module.zero_grad(set_to_none=True)
    low = BFloat16Weights(module)
    assert len(low.master) == 2 * sum(isinstance(m, torch.nn.Linear) for m in module.modules())
    with autocast("bf16-mixed", torch.device("cpu")):
        low(module, X, X).loss.backward()
    low.gradients_to_master()
    for name, p in module.named_parameters():
        assert p.dtype == torch.float32 and p.grad.dtype == torch.float32
        torch.testing.assert_close(p.grad, expected[name], rtol=1e-2, atol=1e-5, msg=name)
    with torch.no_grad():
        low.master[0].add_(1.0)
    low.refresh()
    assert torch.equal(low.low[0], low.master[0].detach().to(torch.bfloat16))


def test_bf16_training_keeps_float32_weights_and_learns_the_other_parameters(digits):
    import torch

    X = digits[0]
    settings = dict(latent_dim=4, prior="student_t", learn_prior_df=True, max_epochs=8, random_state=0)
    vae = VariationalAutoEncoder(**settings, precision="bf16-mixed").fit(X)
    assert {p.dtype for p in vae.module_.parameters()} == {torch.float32}
    assert float(vae.module_.prior.df().detach()) != pytest.approx(3.0, abs=1e-3)
    fp32 = VariationalAutoEncoder(**settings).fit(X)
    assert vae.history_["loss"][-1] == pytest.approx(fp32.history_["loss"][-1], rel=0.05)
    assert float(vae.module_.prior.df().detach()) == pytest.approx(float(fp32.module_.prior.df().detach()), rel=0.05)
