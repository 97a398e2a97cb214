"""Text loaders: 20 Newsgroups from its bydate tarball and R8 (the real files when
../shared/data/text is present), found like MNIST's and refused when their checksum is wrong, the
message-stripping options, and folders of text files labelled by subfolder."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest

from aekit.data.datasets import load_20newsgroups, load_r8, load_text_folder
from aekit.data.text import strip_message

TEXT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "text"

MESSAGE = (
    "From: someone@example.org\nSubject: rockets\nLines: 6\n\n"
    "In article <1@x> someone else writes:\n> quoted line\nMy own caf\xe9 words.\n\n--\nSignature here\n"
)


def write_tarball(folder: Path) -> Path:
    """A tiny 20news-bydate.tar.gz: two groups in train, one in test, one latin-1 byte."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "20news-bydate.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for name, text in [
            ("20news-bydate-train/sci.space/10", MESSAGE),
            ("20news-bydate-train/sci.space/9", "Subject: a\n\nsecond"),
            ("20news-bydate-train/alt.atheism/5", "Subject: b\n\nthird"),
            ("20news-bydate-test/sci.space/11", "Subject: c\n\nfourth"),
        ]:
            data = text.encode("latin-1")
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_the_tarball_is_read_by_split_in_group_and_number_order_and_decoded_as_latin1(tmp_path):
    write_tarball(tmp_path / "20news-bydate")
    train = load_20newsgroups("train", data_home=tmp_path, verify=False)
    assert train.target_names == ("alt.atheism", "sci.space")
    assert train.target.tolist() == [0, 1, 1]
    assert train.data[1] == "Subject: a\n\nsecond" and "caf\xe9" in train.data[2]
    assert len(load_20newsgroups("test", data_home=tmp_path, verify=False)) == 1
    texts, labels = load_20newsgroups("all", data_home=tmp_path, verify=False)
    assert len(texts) == 4 and labels.tolist() == [0, 1, 1, 1]


def test_stripping_headers_footers_and_quotes():
    assert strip_message(MESSAGE) == "My own caf\xe9 words.\n"
    assert strip_message(MESSAGE, ("headers",)).startswith("In article")
    assert "Signature" not in strip_message(MESSAGE, ("footers",)) and "From:" in strip_message(MESSAGE, ("footers",))
    with pytest.raises(ValueError, match="remove may only name"):
        strip_message(MESSAGE, ("signature",))


def test_a_tarball_with_the_wrong_checksum_or_none_at_all_is_refused(tmp_path, monkeypatch):
    write_tarball(tmp_path / "20news-bydate")
    with pytest.raises(ValueError, match="does not match the published SHA-256 of 20news-bydate.tar.gz"):
        load_20newsgroups(data_home=tmp_path)
    with pytest.raises(FileNotFoundError, match="not found in .*data_home="):
        load_20newsgroups(data_home=tmp_path / "empty")
    with pytest.raises(ValueError, match="subset must be one of"):
        load_20newsgroups("validation", data_home=tmp_path)
    monkeypatch.setenv("AEKIT_DATA", str(tmp_path))
    assert len(load_20newsgroups(verify=False)) == 3


def test_a_folder_of_text_files_is_labelled_by_subfolder(tmp_path):
    for label, name, text in [("ham", "a.txt", "hello there"), ("spam", "b.txt", "buy now"), ("spam", "c.txt", "cheap")]:
        (tmp_path / label).mkdir(exist_ok=True)
        (tmp_path / label / name).write_text(text)
    data = load_text_folder(tmp_path)
    assert data.data == ["hello there", "buy now", "cheap"] and data.target.tolist() == [0, 1, 1]
    assert data.target_names == ("ham", "spam")
    assert load_text_folder(tmp_path, suffixes=".txt").data == data.data  # was read as the suffixes '.', 't' and 'x'
    (tmp_path / "loose.txt").write_text("no label")
    with pytest.raises(ValueError, match="files at the top level .* beside files in label subfolders"):
        load_text_folder(tmp_path)


@pytest.mark.slow
@pytest.mark.skipif(not (TEXT_DATA / "20news-bydate").is_dir(), reason="../shared/data/text/20news-bydate is absent")
def test_the_real_20_newsgroups_has_the_bydate_split_counts():
    train = load_20newsgroups("train", data_home=TEXT_DATA)
    test = load_20newsgroups("test", data_home=TEXT_DATA.parent, remove=("headers", "footers", "quotes"))
    assert (len(train), len(test)) == (11314, 7532) and len(train.target_names) == 20
    counts = dict(zip(train.target_names, np.bincount(train.target)))
    assert counts["alt.atheism"] == 480 and counts["talk.religion.misc"] == 377
    assert np.bincount(test.target)[train.target_names.index("sci.space")] == 394
    assert train.data[0].startswith("From:") and sum(text.startswith("From:") for text in test.data) <= 10  # a few forward one


@pytest.mark.skipif(not (TEXT_DATA / "r8").is_dir(), reason="../shared/data/text/r8 is absent")
def test_the_real_r8_has_its_split_counts():
    train, test = load_r8("train", data_home=TEXT_DATA), load_r8("test", data_home=TEXT_DATA, stemmed=True)
    assert (len(train), len(test)) == (5485, 2189)
    assert train.target_names == ("acq", "crude", "earn", "grain", "interest", "money-fx", "ship", "trade")
    assert np.bincount(train.target)[train.target_names.index("earn")] == 2840


def write_corpus(root: Path, n_per_topic: int = 60, seed: int = 0) -> None:
    """Three topics, each a subfolder of .txt documents drawing most words from its own
    vocabulary and some from a shared one."""
    rng = np.random.default_rng(seed)
    shared = [f"common{i}" for i in range(30)]
    for t, topic in enumerate(("space", "sport", "cooking")):
        words = [f"{topic}word{i}" for i in range(20)]
        (root / topic).mkdir(parents=True)
        for d in range(n_per_topic):
            picked = [words[rng.integers(20)] if rng.random() < 0.7 else shared[rng.integers(30)] for _ in range(40)]
            (root / topic / f"{d}.txt").write_text(" ".join(picked))


@pytest.mark.slow
def test_a_text_folder_trains_reports_and_encodes_on_the_command_line(tmp_path, capsys):
    """`aekit train --data corpus/ --loss multinomial`: the folder is read as word counts (left
    unscaled), the codes keep the topics apart, and new documents are counted with the run's
    vocabulary when encoded."""
    import json

    from aekit.cli import main

    write_corpus(tmp_path / "corpus")
    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "corpus"), "--loss", "multinomial", "--latent-dim", "2", "--epochs", "30",
            "--out", str(run), "--quiet", "--set", "model.hidden_dims=[32]", "--set", "data.max_words=50"]
    assert main(args) == 0
    info = json.loads((run / "data.json").read_text())
    assert info["scaling"]["kind"] == "none" and len(info["feature_names"]) == 50 and info["class_names"] == ["cooking", "space", "sport"]
    assert main(["evaluate", str(run)]) == 0
    out = capsys.readouterr().out
    row = next(line.split() for line in out.splitlines() if line.split()[:2] == ["AutoEncoder", "2"])
    assert float(row[4]) > 0.9, out  # 5-NN accuracy of the held-out codes
    assert main(["report", str(run)]) == 0

    write_corpus(tmp_path / "new", n_per_topic=3, seed=1)
    assert main(["encode", str(run), str(tmp_path / "new"), str(tmp_path / "codes.csv")]) == 0
    assert (tmp_path / "codes.csv").read_text().count("\n") == 10  # header + 9 documents


def test_a_folder_of_text_is_counted_and_a_folder_of_only_stop_words_is_refused(tmp_path):
    from aekit.data.readers import load

    write_corpus(tmp_path / "corpus", n_per_topic=5)
    data = load(tmp_path / "corpus", max_words=12)
    assert data.X.shape == (15, 12) and data.counts and data.X.sum() > 0 and data.image_shape is None
    again = load(tmp_path / "corpus", vocabulary=data.feature_names[::-1])
    np.testing.assert_array_equal(again.X, data.X[:, ::-1])
    (tmp_path / "empty" / "a").mkdir(parents=True)
    (tmp_path / "empty" / "a" / "1.txt").write_text("the and of")
    with pytest.raises(ValueError, match="no words to count"):
        load(tmp_path / "empty")


def test_latin1_documents_are_read_with_their_encoding_and_a_wrong_one_warns(tmp_path, capsys):
    # read as UTF-8, Latin-1 'café' became 'caf\ufffd' and was counted as the word 'caf', silently
    import json

    from aekit.cli import main
    from aekit.data.readers import load

    for label, name, text in [("food", "a.txt", "café crème café"), ("food", "b.txt", "café soup"), ("misc", "c.txt", "hello world soup")]:
        (tmp_path / "docs" / label).mkdir(parents=True, exist_ok=True)
        (tmp_path / "docs" / label / name).write_bytes(text.encode("latin-1"))
    with pytest.warns(UserWarning, match=r"2 of 3 files in .* are not valid utf-8 text \(first: 'food/a.txt'\).*encoding='latin-1'"):
        assert "caf" in load(tmp_path / "docs").feature_names
    assert load(tmp_path / "docs", encoding="latin-1").feature_names == ["café", "crème", "hello", "soup", "world"]
    assert load_text_folder(tmp_path / "docs", encoding="latin-1").data[0] == "café crème café"
    with pytest.raises(ValueError, match="encoding: 'latin-9000' is not a text encoding"):
        load_text_folder(tmp_path / "docs", encoding="latin-9000")

    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "docs"), "--epochs", "1", "--latent-dim", "2", "--quiet", "--out", str(run)]
    assert main([*args, "--set", "data.encoding=latin-1"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert json.loads((run / "data.json").read_text())["feature_names"] == ["café", "crème", "hello", "soup", "world"]
    assert main(["encode", str(run), str(tmp_path / "docs"), str(tmp_path / "codes.csv")]) == 0
    assert "warning" not in capsys.readouterr().err
    # later documents in another encoding than the run's could not be given one: the warning's
    # advice (aekit train --set data.encoding) retrains, and 'aekit encode --encoding' was refused
    for path in (tmp_path / "docs").rglob("*.txt"):
        (tmp_path / "utf8" / path.relative_to(tmp_path / "docs")).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "utf8" / path.relative_to(tmp_path / "docs")).write_text(path.read_text("latin-1"), "utf-8")
    assert main(["encode", str(run), str(tmp_path / "utf8"), str(tmp_path / "utf8.csv"), "--encoding", "utf-8"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert (tmp_path / "utf8.csv").read_text() == (tmp_path / "codes.csv").read_text()
    with pytest.warns(UserWarning, match="no training row has") as caught:  # 3 documents: 'misc' is held out
        assert main(["evaluate", str(run), "--data", str(tmp_path / "utf8"), "--encoding", "utf-8"]) == 0
    assert len(caught) == 1


def test_a_folder_of_unlabelled_documents_trains_and_encodes_and_one_file_is_refused(tmp_path, capsys):
    # a flat folder of .txt files was refused ('put each in a subfolder named for its label'), even
    # to encode new documents; one .txt file given to a text run was read as a CSV table
    from aekit.cli import main

    write_corpus(tmp_path / "labelled", n_per_topic=4)
    (tmp_path / "flat").mkdir()
    for path in sorted((tmp_path / "labelled").rglob("*.txt")):
        (tmp_path / "flat" / f"{path.parent.name}-{path.name}").write_text(path.read_text())
    docs = load_text_folder(tmp_path / "flat")
    assert len(docs) == 12 and docs.target is None and docs.ids[0] == "cooking-0.txt"
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "flat"), "--epochs", "1", "--latent-dim", "2", "--quiet", "--out", str(run)]) == 0
    assert main(["encode", str(run), str(tmp_path / "flat"), str(tmp_path / "codes.csv")]) == 0
    assert (tmp_path / "codes.csv").read_text().splitlines()[1].startswith("cooking-0.txt,")
    capsys.readouterr()
    assert main(["encode", str(run), str(tmp_path / "flat" / "cooking-0.txt"), str(tmp_path / "one.csv")]) == 1
    assert "is not a folder of .txt files" in capsys.readouterr().err


def test_documents_with_a_byte_order_mark_are_read_in_its_encoding(tmp_path):
    # a UTF-16 document (Windows 'Unicode' text) lost every word: its bytes were read as UTF-8, NULs and all
    import warnings

    from aekit.data.readers import load

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.txt").write_bytes("ball goal team\r\n".encode("utf-16"))
    (tmp_path / "a" / "2.txt").write_bytes("\ufeffcafé goal".encode("utf-8"))
    (tmp_path / "a" / "3.txt").write_bytes(b"team match\r\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        docs = load_text_folder(tmp_path)
        assert load(tmp_path).feature_names == ["ball", "café", "goal", "match", "team"]
    assert docs.data == ["ball goal team\n", "café goal", "team match\n"]
    # with encoding='latin-1' the marked files were read as Latin-1: 'café' counted as 'cafã'
    assert load_text_folder(tmp_path, encoding="latin-1").data == docs.data
    # UTF-16 without a mark was read as UTF-8, NULs and all: an empty document, silently
    (tmp_path / "a" / "4.txt").write_bytes("ball team".encode("utf-16-le"))
    with pytest.raises(ValueError, match=r"4.txt' holds NUL bytes, so it is not utf-8 text.*encoding='utf-16-le'"):
        load(tmp_path)


def test_a_corpus_where_no_word_repeats_in_a_document_is_still_modelled_as_counts(tmp_path):
    # its counts all lie in [0, 1], so loss 'auto' chose the Bernoulli (a sigmoid output), and a later
    # document with a word three times was reconstructed below 1; a corpus with one repeat got MSE
    import json

    from aekit.cli import main

    for label, words in (("a", "planet orbit rocket star"), ("b", "game team goal match")):
        for i in range(3):
            (tmp_path / "docs" / label).mkdir(parents=True, exist_ok=True)
            (tmp_path / "docs" / label / f"{i}.txt").write_text(" ".join(np.roll(words.split(), i)[:3]))
    for model, key, expected in (("autoencoder", "loss_", "mse"), ("vae", "output_activation_", "linear")):
        run = tmp_path / model
        args = ["train", "--data", str(tmp_path / "docs"), "--model", model, "--epochs", "1", "--quiet", "--out", str(run)]
        assert main(args) == 0
        assert json.loads((run / "model" / "config.json").read_text())["fitted"][key] == expected


def test_a_corpus_with_a_few_stray_images_warns_that_its_documents_are_left_out(tmp_path):
    # two pictures among 12 documents: the folder was trained on as 2 images, silently
    from PIL import Image

    from aekit.data.readers import load

    write_corpus(tmp_path / "corpus", n_per_topic=4)
    for topic in ("space", "sport"):
        Image.new("L", (4, 4)).save(tmp_path / "corpus" / topic / "logo.png")
    with pytest.warns(UserWarning, match=r"read as a folder of 2 images, leaving out its 12 .txt files; to read it as documents"):
        assert load(tmp_path / "corpus").X.shape == (2, 16)


def test_encoding_documents_without_any_of_the_runs_words_warns(tmp_path):
    # such documents (another language, another subject) were encoded as an empty document, unnoticed
    from aekit.cli import main

    write_corpus(tmp_path / "corpus", n_per_topic=4)
    run = tmp_path / "run"
    assert main(["train", "--data", str(tmp_path / "corpus"), "--epochs", "1", "--latent-dim", "2", "--quiet", "--out", str(run)]) == 0
    (tmp_path / "new" / "x").mkdir(parents=True)
    (tmp_path / "new" / "x" / "a.txt").write_text("spaceword1 common2")
    (tmp_path / "new" / "x" / "b.txt").write_text("")  # empty, or only stop words: nothing to warn about
    (tmp_path / "new" / "x" / "c.txt").write_text("the of and")
    assert main(["encode", str(run), str(tmp_path / "new"), str(tmp_path / "codes.csv")]) == 0  # warnings are errors here
    (tmp_path / "new" / "x" / "d.txt").write_text("Schrödinger Katze")
    with pytest.warns(UserWarning, match=r"1 of 4 documents in .* hold none of the run's \d+ words \(first: 'x/d.txt'\)"):
        assert main(["encode", str(run), str(tmp_path / "new"), str(tmp_path / "codes.csv")]) == 0


def test_reconstructions_of_a_multinomial_text_run_are_expected_counts(tmp_path):
    # 'aekit reconstruct' wrote word proportions (each row summing to 1) where its help promises the data's
    # units, and where evaluate and report compare expected counts
    import pandas as pd

    from aekit.cli import main
    from aekit.data.readers import load

    write_corpus(tmp_path / "corpus", n_per_topic=4)
    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "corpus"), "--epochs", "1", "--loss", "multinomial", "--quiet", "--out", str(run)]
    assert main([*args, "--set", "data.max_words=20"]) == 0
    assert main(["reconstruct", str(run), str(tmp_path / "corpus"), str(tmp_path / "rec.csv")]) == 0
    rec = pd.read_csv(tmp_path / "rec.csv", index_col="id")
    counts = load(tmp_path / "corpus", vocabulary=list(rec.columns)).X
    np.testing.assert_allclose(rec.to_numpy().sum(axis=1), counts.sum(axis=1), rtol=1e-4)


def test_the_report_of_a_multinomial_run_draws_decoded_paths_and_samples_in_their_units(tmp_path, monkeypatch):
    # the report's interpolation figure drew the code paths as word proportions (all near 0) on the
    # scale of the blended documents' counts, though its text says they end at the reconstructions
    # (expected counts), and the samples as proportions on the counts' scale: a dark, empty picture
    from aekit.app import plot
    from aekit.cli import main

    drawn = {}

    def recorder(name):
        original = getattr(plot, name)

        def record(*args, **kwargs):
            drawn[name] = (args, kwargs)
            return original(*args, **kwargs)

        return record

    for name in ("plot_interpolations", "plot_samples"):
        monkeypatch.setattr(plot, name, recorder(name))
    write_corpus(tmp_path / "corpus", n_per_topic=6)
    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "corpus"), "--epochs", "2", "--loss", "multinomial", "--quiet", "--out", str(run)]
    assert main([*args, "--set", "data.max_words=20"]) == 0
    assert main(["report", str(run)]) == 0
    paths = drawn["plot_interpolations"][0][0]
    for i in (1, 2):
        blended = paths[f"{i}: inputs"]
        for method in ("linear", "slerp"):
            decoded = paths[f"{i}: codes, {method}"]
            np.testing.assert_allclose(decoded.sum(axis=1), blended.sum(axis=1), rtol=1e-4)
    (samples, _shape), options = drawn["plot_samples"]
    # the samples were then drawn as word proportions (rows summing to 1) while 'aekit generate' wrote the same
    # model's draws as counts of a document of the training documents' mean length: now both are those counts
    assert main(["generate", str(run), str(tmp_path / "s.npy"), "-n", str(len(samples))]) == 0
    generated = np.load(tmp_path / "s.npy")
    np.testing.assert_allclose(samples.sum(axis=1), generated.sum(axis=1), rtol=1e-4)
    assert generated.sum(axis=1).mean() > 2 and "(word proportions)" not in options["title"]
    assert options["value_range"] == drawn["plot_interpolations"][1]["value_range"]  # the counts' scale, as the paths'


def test_the_command_line_trains_a_vae_on_documents_with_a_multinomial_likelihood(tmp_path):
    """`aekit train --model vae` on a text folder modelled the counts as Gaussian (its only choices)
    and `aekit generate` wrote negative counts; with model.likelihood=multinomial the samples are
    the expected counts of a document of the training documents' mean length and reconstructions
    the documents' expected counts."""
    import pandas as pd

    from aekit.app.runs import open_model
    from aekit.cli import main
    from aekit.data.readers import load

    write_corpus(tmp_path / "corpus", n_per_topic=6)
    run = tmp_path / "run"
    args = ["train", "--data", str(tmp_path / "corpus"), "--model", "vae", "--epochs", "2", "--quiet", "--out", str(run)]
    assert main([*args, "--set", "model.likelihood=multinomial", "--set", "data.max_words=20"]) == 0
    assert main(["generate", str(run), str(tmp_path / "drawn.csv"), "--n-samples", "4"]) == 0
    drawn = pd.read_csv(tmp_path / "drawn.csv")
    assert (drawn.to_numpy() >= 0).all()
    mean_length = open_model(run).split.X_train.sum(axis=1).mean()
    np.testing.assert_allclose(drawn.to_numpy().sum(axis=1), mean_length, rtol=1e-4)
    assert main(["reconstruct", str(run), str(tmp_path / "corpus"), str(tmp_path / "rec.csv")]) == 0
    rec = pd.read_csv(tmp_path / "rec.csv", index_col="id")
    counts = load(tmp_path / "corpus", vocabulary=list(rec.columns)).X
    np.testing.assert_allclose(rec.to_numpy().sum(axis=1), counts.sum(axis=1), rtol=1e-4)
