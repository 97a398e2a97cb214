"""`aekit report` and `aekit export`: what a trained run gives to people and to other programs."""

from __future__ import annotations

import argparse
import shutil

from aekit.cli.common import add_command, print_table

__all__ = ["add_parsers", "run_export", "run_report"]


def add_parsers(commands) -> None:
    report = add_command(
        commands,
        "report",
        "write a run's HTML report (one self-contained page)",
        "Write RUN/report.html: the config, loss curves, metrics beside the PCA baseline,\n"
        "reconstructions, the latent scatter, decoded samples, interpolations and, for a model that\n"
        "can sample (a VAE), draws from its prior. Every figure is embedded in the page (the PNGs are\n"
        "also kept in RUN/figures), so the one file can be mailed or opened anywhere. Each --compare\n"
        "run, trained on the same data and seed, adds its model and PCA to the table and error chart.",
        "  aekit report runs/vae\n  xdg-open runs/vae/report.html\n"
        "  aekit report runs/ae2 --compare runs/ae8   # both trained on one data split",
        run_report,
    )
    report.add_argument("run", metavar="RUN", help="a run folder from 'aekit train'")
    report.add_argument(
        "--compare", action="append", default=[], metavar="RUN", help="another run of the same data (repeatable)"
    )

    export = add_command(
        commands,
        "export",
        "export the encoder and decoder to ONNX",
        "Write DIR/encoder.onnx (input x: (batch, n_features) -> code: (batch, latent_dim)) and\n"
        "DIR/decoder.onnx (code -> reconstruction), with DIR/onnx.json describing them and, for a run,\n"
        "DIR/data.json with the feature names and the scaling to apply first. They run in onnxruntime\n"
        "and give what the model's transform and inverse_transform give.",
        "  aekit export runs/vae --onnx exported/vae\n"
        "  python -c \"import onnxruntime as ort; print(ort.InferenceSession('exported/vae/encoder.onnx').get_inputs())\"",
        run_export,
    )
    export.add_argument("run", metavar="RUN", help="a run folder from 'aekit train' (or a folder saved with est.save)")
    export.add_argument("--onnx", required=True, metavar="DIR", help="the folder to write the ONNX files into")


def run_report(args: argparse.Namespace) -> int:
    from aekit.app.run_report import metrics_table, write_run_report

    report = write_run_report(args.run, args.compare)
    print_table(metrics_table(report.scores))
    print(f"wrote {report.path}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from aekit.app.runs import Run, open_model
    from aekit.saving.export import to_onnx

    model = open_model(args.run)
    files = to_onnx(model.estimator, args.onnx)
    if (model.path / Run.DATA).is_file():
        shutil.copyfile(model.path / Run.DATA, files["encoder"].parent / Run.DATA)
    for path in files.values():
        print(f"wrote {path}")
    return 0
