"""`aekit.app.config`: YAML configs validated against schemas built from the estimator registry;
refusals name the key path and the allowed values."""

from __future__ import annotations

import inspect

import pytest
import yaml

from aekit.app.config import (
    ConfigError,
    apply_overrides,
    build_estimator,
    dump_config,
    estimator_schema,
    fingerprint,
    model_registry,
    read_config,
    validate_config,
    validate_params,
)

REGISTRY = model_registry()


def refusal(raw: dict) -> str:
    with pytest.raises(ConfigError) as info:
        validate_config(raw)
    return str(info.value)


def test_registry_names_every_estimator_and_the_vae_alias():
    assert {"autoencoder", "denoising", "sparse", "contractive", "linear"} <= set(REGISTRY)
    assert REGISTRY["vae"] is REGISTRY["variational"]


def test_empty_config_resolves_to_the_default_autoencoder_with_the_seed():
    config = validate_config({"seed": 7})
    assert config.model.name == "autoencoder" and config.model.random_state == 7
    assert config.data.source == "digits" and config.data.test_fraction == 0.2
    assert build_estimator(config).get_params()["random_state"] == 7


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_parameter_of_every_model_can_be_set_and_round_trips(name):
    cls = REGISTRY[name]
    defaults = cls().get_params(deep=False)
    model = {"name": name, **{k: list(v) if isinstance(v, tuple) else v for k, v in defaults.items()}}
    model["random_state"] = 3
    config = validate_config({"model": model})
    estimator = build_estimator(config)
    assert type(estimator) is cls
    assert estimator.get_params(deep=False) == {**defaults, "random_state": 3}
    again = validate_config(yaml.safe_load(dump_config(config)))
    assert again == config
    assert set(estimator_schema(cls).model_fields) == set(inspect.signature(cls).parameters)


def test_non_default_values_reach_the_estimator():
    config = validate_config(
        {"model": {"name": "denoising", "hidden_dims": [32, 8], "corruption": "mask", "early_stopping": 3}}
    )
    est = build_estimator(config)
    assert est.hidden_dims == (32, 8) and est.corruption == "mask" and est.early_stopping == 3


def test_unknown_keys_are_refused_with_their_path_and_the_allowed_keys():
    message = refusal({"model": {"latnt_dim": 2}, "data": {"sorce": "x"}, "seeed": 1})
    assert "model.latnt_dim: unknown key (did you mean latent_dim?); allowed keys:" in message
    assert "data.sorce: unknown key (did you mean source?); allowed keys:" in message
    assert "seeed: unknown key (did you mean seed?); allowed keys: data, model, out, seed, tensorboard" in message


def test_wrong_types_and_values_name_the_path_and_the_allowed_values():
    message = refusal(
        {
            "model": {"loss": "l3", "latent_dim": "two", "hidden_dims": [16, -1], "tied_weights": "maybe"},
            "data": {"test_fraction": 1.5},
        }
    )
    assert "model.loss: Input should be 'auto', 'bce', 'bernoulli', 'gaussian', 'l1', 'mse', 'multinomial', 'poisson' or 'student_t'; got 'l3'" in message
    assert "model.latent_dim: Input should be a valid integer; got 'two'" in message
    assert "model.hidden_dims.1: Input should be greater than 0; got -1" in message
    assert "model.tied_weights: Input should be true or false (or yes/no, on/off, 1/0); got 'maybe'" in message
    assert "data.test_fraction: Input should be less than 1; got 1.5" in message


def test_unknown_model_lists_the_registered_names():
    message = refusal({"model": {"name": "vea"}})
    assert "model.name: unknown model 'vea' (did you mean 'vae'?); allowed: autoencoder, " in message
    assert all(f" {name}," in message for name in ("contractive", "conv", "denoising", "vae"))


def test_a_parameter_of_another_model_is_refused():
    message = refusal({"model": {"name": "vae", "corruption": "gaussian"}})
    assert "model.corruption: unknown key" in message and "beta" in message


def test_a_loss_for_the_vae_points_at_its_likelihood(tmp_path, capsys):
    # `aekit train --model vae --loss mse` said only "model.loss: unknown key; allowed keys: ..."
    from aekit.cli import main

    message = refusal({"model": {"name": "vae", "loss": "mse"}})
    assert "model.loss: unknown key; this model's reconstruction term is model.likelihood" in message
    assert main(["train", "--model", "vae", "--loss", "mse", "--out", str(tmp_path / "run"), "--quiet"]) == 1
    assert "--set model.likelihood=gaussian" in capsys.readouterr().err
    assert "likelihood" not in refusal({"model": {"latnt_dim": 2}})


def test_sections_must_be_mappings():
    assert "model: must be a mapping" in refusal({"model": "vae"})
    assert "the config must be a mapping" in refusal(["model"])


def test_set_assignments_parse_yaml_values_into_nested_keys():
    raw = apply_overrides(
        {"model": {"name": "sparse"}}, ["model.hidden_dims=[64, 8]", "data.max_rows=100", "seed=3", "out=runs/x"]
    )
    assert raw == {
        "model": {"name": "sparse", "hidden_dims": [64, 8]},
        "data": {"max_rows": 100},
        "seed": 3,
        "out": "runs/x",
    }
    with pytest.raises(ConfigError, match="expected key.path=value"):
        apply_overrides({}, ["model.latent_dim"])
    with pytest.raises(ConfigError, match="seed is not a section"):
        apply_overrides({"seed": 1}, ["seed.x=2"])


def test_read_config_reports_bad_yaml_and_missing_files(tmp_path):
    (tmp_path / "bad.yaml").write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="is not valid YAML"):
        read_config(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- a\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        read_config(tmp_path / "list.yaml")
    with pytest.raises(ConfigError, match="no such config file"):
        read_config(tmp_path / "absent.yaml")
    (tmp_path / "empty.yaml").write_text("")
    assert read_config(tmp_path / "empty.yaml") == {}


def test_validate_params_checks_any_estimator_class():
    cls = REGISTRY["autoencoder"]
    assert validate_params(cls, {"hidden_dims": [4], "max_epochs": 2}) == {"hidden_dims": (4,), "max_epochs": 2}
    with pytest.raises(ConfigError, match=r"model\.optimizer: Input should be 'adam', 'adamw', 'rmsprop' or 'sgd'"):
        validate_params(cls, {"optimizer": "lbfgs"}, "model.")


def test_fingerprint_ignores_what_does_not_change_the_model():
    a = validate_config({"model": {"max_epochs": 5, "verbose": True}, "data": {"data_home": "/a"}, "out": "x"})
    b = validate_config({"model": {"max_epochs": 50}, "out": "y"})
    c = validate_config({"model": {"latent_dim": 3}})
    assert fingerprint(a) == fingerprint(b) != fingerprint(c)


def test_a_key_given_twice_in_a_config_file_is_refused_naming_it_and_its_line(tmp_path):
    (tmp_path / "c.yaml").write_text("model:\n  name: vae\n  latent_dim: 2\ndata:\n  max_rows: 5\nmodel:\n  max_epochs: 3\n")
    with pytest.raises(ConfigError, match=r"the key 'model' is given twice(.|\n)*line 6"):
        read_config(tmp_path / "c.yaml")
    (tmp_path / "inner.yaml").write_text("model:\n  latent_dim: 2\n  latent_dim: 4\n")
    with pytest.raises(ConfigError, match="the key 'latent_dim' is given twice"):
        read_config(tmp_path / "inner.yaml")
    (tmp_path / "merged.yaml").write_text("base: &b {latent_dim: 3}\nmodel:\n  <<: *b\n  latent_dim: 2\n")
    assert read_config(tmp_path / "merged.yaml")["model"] == {"latent_dim": 2}


def test_exponents_without_a_dot_are_numbers_in_files_and_set(tmp_path):
    (tmp_path / "c.yaml").write_text("model:\n  learning_rate: 2e-3\n  weight_decay: 1E-5\n")
    raw = apply_overrides(read_config(tmp_path / "c.yaml"), ["model.learning_rate=1e-3", "data.test_fraction=25e-2"])
    config = validate_config(raw)
    estimator = build_estimator(config)
    assert estimator.learning_rate == 0.001 and isinstance(estimator.learning_rate, float)
    assert estimator.weight_decay == 1e-5 and config.data.test_fraction == 0.25
    assert validate_params(REGISTRY["autoencoder"], apply_overrides({}, ["learning_rate=3e-4"])) == {"learning_rate": 3e-4}
    assert apply_overrides({}, ["data.source=e3", "out=runs/1e"]) == {"data": {"source": "e3"}, "out": "runs/1e"}


def test_a_refused_number_is_named_by_its_key_alone():
    message = refusal({"model": {"learning_rate": -1, "max_epochs": 3.5}})
    assert "model.learning_rate: Input should be greater than 0; got -1 | Input should be 'auto'; got -1" in message
    assert "model.max_epochs: Input should be a whole number; got 3.5 | Input should be 'auto'" in message
    assert "constrained" not in message and message.count("model.learning_rate") == 1


def test_precision_32_written_as_a_number_is_the_option_32(tmp_path):
    (tmp_path / "c.yaml").write_text("model:\n  precision: 32\n  batch_size: 32\n")
    config = validate_config(read_config(tmp_path / "c.yaml"))
    params = build_estimator(config).get_params()
    assert params["precision"] == "32" and params["batch_size"] == 32 and isinstance(params["batch_size"], int)
    assert validate_config(yaml.safe_load(dump_config(config))) == config
    assert validate_params(REGISTRY["vae"], apply_overrides({}, ["precision=32"])) == {"precision": "32"}
    refused = refusal({"model": {"precision": 16}})
    assert "model.precision: Input should be '16-mixed', '32' or 'bf16-mixed'; got 16" in refused


def test_an_empty_section_takes_its_defaults_and_an_empty_list_is_no_section(tmp_path):
    (tmp_path / "c.yaml").write_text("model:\n  # latent_dim: 8\ndata:\n  # max_rows: 100\nseed: 4\n")
    config = validate_config(read_config(tmp_path / "c.yaml"))
    assert config.data == validate_config({}).data and config.model.name == "autoencoder"
    assert config.model.random_state == 4
    assert "model: must be a mapping (name: ..., parameters), got []" in refusal({"model": []})


def test_a_list_of_whole_numbers_can_be_written_with_commas():
    raw = apply_overrides({}, ["model.hidden_dims=64, 32", "data.image_size=32,24"])
    config = validate_config(raw)
    assert build_estimator(config).hidden_dims == (64, 32) and config.data.image_size == [32, 24]
    conv = validate_config(apply_overrides({}, ["model.name=conv", "model.input_shape=1,8,8"]))
    assert list(build_estimator(conv).input_shape) == [1, 8, 8]
    assert validate_params(REGISTRY["autoencoder"], apply_overrides({}, ["hidden_dims=16,8"])) == {"hidden_dims": (16, 8)}
    message = refusal({"model": {"hidden_dims": "64 32"}})
    assert "model.hidden_dims: Input should be a valid list; got '64 32' (write a list as [64, 32] or 64,32)" in message
    assert "model.hidden_dims.1: Input should be greater than 0; got 0" in refusal({"model": {"hidden_dims": "64,0"}})


def test_a_key_in_the_wrong_section_is_refused_naming_where_it_belongs():
    message = refusal({"model": {"max_rows": 5, "seed": 2}, "latent_dim": 3, "data": {"hidden_dims": [4]}})
    assert "model.max_rows: unknown key here; it is data.max_rows; allowed keys: activation," in message
    assert "model.seed: unknown key here; it is seed;" in message
    assert "latent_dim: unknown key here; it is model.latent_dim; allowed keys: data, model, out, seed" in message
    assert "data.hidden_dims: unknown key here; it is model.hidden_dims;" in message
    assert "model.latnt_dim: unknown key (did you mean latent_dim?); allowed keys:" in refusal({"model": {"latnt_dim": 2}})


def test_a_folder_given_as_the_config_is_refused_pointing_at_its_config(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.yaml").write_text("seed: 1\n")
    with pytest.raises(ConfigError, match=r"is a folder, not a YAML config file; a run folder's config is '.*config\.yaml'"):
        read_config(tmp_path / "run")
    with pytest.raises(ConfigError, match=r"is a folder, not a YAML config file$"):
        read_config(tmp_path)


def test_python_none_is_null_in_files_and_set(tmp_path):
    (tmp_path / "c.yaml").write_text("model:\n  name: denoising\n  corruption: None\ndata:\n  target: None\n")
    raw = apply_overrides(read_config(tmp_path / "c.yaml"), ["model.latent_activation=None", "data.max_rows=None"])
    config = validate_config(raw)
    estimator = build_estimator(config)
    assert estimator.corruption is None and estimator.latent_activation is None
    assert config.data.target is None and config.data.max_rows is None
    assert apply_overrides({}, ["data.target='None'", "data.id_column=none"]) == {"data": {"target": "None", "id_column": "none"}}


def test_a_seed_out_of_range_is_refused_naming_seed():
    message = refusal({"seed": -1})
    assert "seed: Input should be greater than or equal to 0; got -1" in message and "random_state" not in message
    assert validate_config({"seed": 2**32 - 1}).model.random_state == 2**32 - 1


def test_a_set_value_starting_with_a_hash_is_refused_rather_than_read_as_no_value():
    with pytest.raises(ConfigError, match=r"--set 'data.target=#label': YAML reads a value starting with # as a comment"):
        apply_overrides({}, ["data.target=#label"])
    assert apply_overrides({}, ["data.target='#label'", "out=runs/#3", "seed=3 # note"]) == {
        "data": {"target": "#label"}, "out": "runs/#3", "seed": 3
    }


def test_whole_numbers_with_leading_zeros_are_decimal_in_files_and_set_and_keep_their_text_as_column_names(tmp_path):
    # YAML 1.1 read `010` as octal 8 (and `08` as the text '08') without a word; --seed 010 is 10
    (tmp_path / "c.yaml").write_text("seed: 010\nmodel:\n  latent_dim: 010\n  hidden_dims: [016, 08]\n"
                                     "data:\n  source: t.csv\n  target: 02134\n  id_column: '007'\n")
    raw = apply_overrides(read_config(tmp_path / "c.yaml"), ["model.batch_size=032"])
    config = validate_config(raw)
    assert (config.seed, config.model.random_state, config.model.latent_dim) == (10, 10, 10)
    assert build_estimator(config).hidden_dims == (16, 8) and config.model.batch_size == 32
    assert (config.data.target, config.data.id_column) == ("02134", "007")
    assert validate_config(yaml.safe_load(dump_config(config))) == config
    assert apply_overrides({}, ["seed=010", "model.latent_dim=0x10"]) == {"seed": 10, "model": {"latent_dim": 16}}


def test_one_number_for_a_list_of_numbers_is_the_list_of_it():
    # --set model.hidden_dims=64 was refused ('Input should be a valid list'), and so was 64, written with a comma
    for value in ("64", "64,", "[64]", "64.0"):
        assert build_estimator(validate_config(apply_overrides({}, [f"model.hidden_dims={value}"]))).hidden_dims == (64,)
    conv = validate_config(apply_overrides({}, ["model.name=conv", "model.channels=16"]))
    assert build_estimator(conv).channels == (16,)
    assert validate_params(REGISTRY["autoencoder"], apply_overrides({}, ["hidden_dims=8"])) == {"hidden_dims": (8,)}
    message = refusal(apply_overrides({}, ["data.image_size=64"]))
    assert "data.image_size: Value should have at least 2 items after validation, not 1; got 64 (write a list as" in message
    assert "model.hidden_dims: Input should be a valid list; got True" in refusal({"model": {"hidden_dims": True}})


def test_a_key_sharing_its_first_word_with_one_option_suggests_that_option():
    # data.test_size (scikit-learn's name for it) suggested image_size, the closest spelling, not test_fraction
    assert "data.test_size: unknown key (did you mean test_fraction?)" in refusal({"data": {"test_size": 0.3}})
    assert "model.n_epochs: unknown key (did you mean max_epochs?)" in refusal({"model": {"n_epochs": 3}})
    assert "data.max_row: unknown key (did you mean max_rows?)" in refusal({"data": {"max_row": 3}})


def test_a_config_indented_with_tabs_is_refused_saying_yaml_indents_with_spaces(tmp_path):
    # an editor's tab before a key gave only "found character '\t' that cannot start any token"
    (tmp_path / "c.yaml").write_text("seed: 3\nmodel:\n\tlatent_dim: 3\n")
    with pytest.raises(ConfigError, match=r"line 3, column 1:(.|\n)*\(a tab at the mark: YAML indents and spaces with spaces"):
        read_config(tmp_path / "c.yaml")
    (tmp_path / "c.yaml").write_text("seed: 3\nmodel:\n  latent_dim: 3\t# a tab before a comment\n")
    with pytest.raises(ConfigError, match=r"line 3, column 16:(.|\n)*\(a tab at the mark: YAML indents and spaces with"):
        read_config(tmp_path / "c.yaml")


def test_a_list_given_for_a_single_value_or_of_the_wrong_length_is_shown_in_the_refusal():
    # 'model.max_epochs: Input should be a valid integer | Input should be 'auto'' did not show the [3] it got
    assert "model.max_epochs: Input should be a valid integer; got [3] | Input should be 'auto'; got [3]" in refusal(
        apply_overrides({}, ["model.max_epochs=[3]"]))
    assert "data.image_size: Value should have at most 2 items after validation, not 3; got [2, 2, 2] | or null\n" in refusal(
        {"data": {"image_size": [2, 2, 2]}}) + "\n"
    assert "data.target: Input should be a valid string; got ['a', 'b']" in refusal({"data": {"target": ["a", "b"]}})
    # early_stopping=false (to turn it off) was refused naming an integer or 'auto', never the null that does
    assert "model.early_stopping: Input should be a valid integer; got False | Input should be 'auto'; got False | or null\n" \
        in refusal(apply_overrides({}, ["model.early_stopping=false"])) + "\n"
    assert "| or null" not in refusal(apply_overrides({}, ["model.max_epochs=x"]))


def test_train_refuses_to_write_the_resolved_config_over_the_config_file_it_reads(tmp_path, monkeypatch, capsys):
    # 'aekit train exp/config.yaml --out exp' replaced the hand-written exp/config.yaml, comments and all, with the
    # resolved config that every run folder holds
    from aekit.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "exp").mkdir()
    mine = "# my experiment\ndata:\n  source: digits  # small\n  max_rows: 200\nmodel:\n  max_epochs: 1\n"
    (tmp_path / "exp" / "config.yaml").write_text(mine)
    assert main(["train", "exp/config.yaml", "--out", "./exp/", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "CONFIG 'exp/config.yaml' is the config.yaml that training writes into --out exp" in err and "another --out" in err
    assert (tmp_path / "exp" / "config.yaml").read_text() == mine and sorted(p.name for p in (tmp_path / "exp").iterdir()) == ["config.yaml"]
    assert main(["train", "exp/config.yaml", "--out", "other", "--quiet"]) == 0  # elsewhere it trains, the file kept
    assert (tmp_path / "exp" / "config.yaml").read_text() == mine and "max_rows: 200" in (tmp_path / "other" / "config.yaml").read_text()
