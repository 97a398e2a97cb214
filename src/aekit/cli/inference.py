"""`aekit evaluate`, `encode`, `reconstruct` and `generate`: using a trained run (or any saved
model folder) on data."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from aekit.cli.common import CLIError, add_command, int_in_range, print_table, write_array

__all__ = ["add_parsers", "run_evaluate", "run_generate", "run_rows"]

RUN_HELP = "a run folder from 'aekit train' (or a folder saved with est.save)"
SOURCE_HELP = (
    "digits, mnist[:train|:test], fashion-mnist[:train|:test], a .csv/.parquet/.npy file, or a folder of images or .txt files"
)


def add_parsers(commands) -> None:
    evaluate = add_command(
        commands,
        "evaluate",
        "reconstruction error vs PCA, and kNN accuracy on the codes",
        "Measure a trained model on held-out rows beside PCA with the same number of components:\n"
        "mean squared error per entry, squared error summed per sample, the model's mean score, and\n"
        "(when the data have labels) the accuracy of a 5-nearest-neighbour classifier on the codes.\n"
        "Without --data the run's own held-out split is used; PCA is fitted on the run's training rows.",
        "  aekit evaluate runs/vae\n"
        "  aekit evaluate runs/vae --data mnist:test --json runs/vae/test.json\n"
        "  aekit evaluate runs/table --data new_rows.csv",
        run_evaluate,
    )
    evaluate.add_argument("run", metavar="RUN", help=RUN_HELP)
    evaluate.add_argument("--data", metavar="SOURCE", help=f"rows to evaluate on: {SOURCE_HELP}")
    evaluate.add_argument("--json", metavar="FILE", help="also write the numbers to FILE as JSON")

    for name, summary, what in (
        ("encode", "write the codes of some rows", "codes (n, latent_dim)"),
        ("reconstruct", "write the reconstructions of some rows", "reconstructions (n, n_features), in the data's units"),
    ):
        parser = add_command(
            commands,
            name,
            summary,
            f"Write the {what} of the rows of INPUT to OUTPUT (.npy, or .csv with a header and a\n"
            "first column 'id': each row's file name for a folder, its ID column or row number for a table).\n"
            "INPUT is laid out and scaled the way the run's training data were.",
            f"  aekit {name} runs/vae mnist:test codes.npy\n  aekit {name} runs/table new_rows.csv out.csv",
            run_rows,
        )
        parser.add_argument("run", metavar="RUN", help=RUN_HELP)
        parser.add_argument("input", metavar="INPUT", help=SOURCE_HELP)
        parser.add_argument("output", metavar="OUTPUT", help="a .npy or .csv file")

    generate = add_command(
        commands,
        "generate",
        "decode new samples from a generative model",
        "Draw N samples from a model that can generate (one with a `sample` method, such as the\n"
        "variational autoencoder) and write them to OUTPUT: .npy, .csv, or .png (a grid of images,\n"
        "for image data).",
        "  aekit generate runs/vae samples.png -n 32\n  aekit generate runs/vae samples.npy -n 1000 --seed 1",
        run_generate,
    )
    generate.add_argument("run", metavar="RUN", help=RUN_HELP)
    generate.add_argument("output", metavar="OUTPUT", help="a .npy, .csv or .png file")
    generate.add_argument(
        "-n", "--n-samples", type=int_in_range(1), default=16, metavar="N", help="how many (default: %(default)s)"
    )
    generate.add_argument("--seed", type=int, default=0, metavar="N", help="seeds the draws (default: %(default)s)")


def run_evaluate(args: argparse.Namespace) -> int:
    from aekit.app.run_report import evaluate, metrics_table
    from aekit.app.runs import open_model

    model = open_model(args.run)
    test, train = model.rows(args.data, "evaluate on"), model.training_rows()
    where = "the run's held-out rows" if args.data is None else repr(args.data)
    note = "PCA is fitted on the run's training rows"
    if train is None:
        train, note = test, "PCA and the k-NN model of the labels are fitted on the evaluated rows themselves"
    est = model.estimator
    evaluation = evaluate(est, train.X, test.X, train.y, test.y)
    print(f"{type(est).__name__} on {len(test)} of {where} ({note}):")
    print_table(metrics_table(evaluation.scores))
    print(f"  mean score_samples (higher is better): {evaluation.mean_score:.6g}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(evaluation.as_dict(), indent=2), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


def run_rows(args: argparse.Namespace) -> int:
    """`aekit encode` (codes (n, latent_dim)) and `aekit reconstruct` (reconstructions (n,
    n_features) in the data's units), each row written after its id."""
    from aekit.app.runs import open_model

    model = open_model(args.run)
    rows, est = model.rows(args.input), model.estimator
    if args.command == "encode":
        out, columns, what = est.transform(rows.X), [str(c) for c in est.get_feature_names_out()], "codes"
    else:
        out, columns = model.scaling.inverse_transform(est.reconstruct(rows.X)), rows.feature_names
        what = "reconstructions"
    write_array(args.output, out, columns, rows.row_ids())
    print(f"wrote {out.shape[0]} {what} of {out.shape[1]} values to {args.output}")
    return 0


def run_generate(args: argparse.Namespace) -> int:
    from aekit.app.runs import open_model

    model = open_model(args.run)
    est = model.estimator
    if not callable(getattr(est, "sample", None)):
        raise CLIError(
            f"{type(est).__name__} cannot generate: it has no sample method (no prior to draw codes from). "
            "Train a generative model, e.g. 'aekit train --model vae ...'"
        )
    samples = model.scaling.inverse_transform(est.sample(args.n_samples, random_state=args.seed))
    output = Path(args.output)
    if output.suffix == ".png":
        from aekit.app.plot import plot_samples

        title = f"{args.n_samples} samples from {type(est).__name__}"
        plot_samples(samples, model.reader.image_shape, title=title, path=output)
    else:
        write_array(output, samples, model.reader.feature_names)
    print(f"wrote {args.n_samples} samples to {output}")
    return 0
