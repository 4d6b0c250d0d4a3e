"""`fedlend score` on real files: same ROC-AUC as `fedlend evaluate`, zips, CSV out, bad input."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from desk.loading import model_from_zip, open_model
from fedlend.cli import main
from fedlend.errors import SpecError
from fl.weights import SPEC_FILE, WEIGHTS_FILE


def _zip(model_dir: Path, path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in (SPEC_FILE, WEIGHTS_FILE):
            archive.writestr(name, (model_dir / name).read_bytes())
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory, loans: pd.DataFrame) -> Path:
    path = tmp_path_factory.mktemp("data") / "labelled.csv"
    loans[loans["issue_d"] >= "2011-05"].sample(800, random_state=3).to_csv(path, index=False)
    return path


def test_score_gives_the_same_roc_auc_as_evaluate_from_a_folder_and_a_zip(
    model_dir: Path, labelled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = _zip(model_dir, tmp_path / "fedlend-model-1.zip")
    code, out, _ = _run(
        capsys, "evaluate", "--model", str(archive), "--data", str(labelled), "--json"
    )
    assert code == 0
    evaluated = json.loads(out)["roc_auc"]
    for model in (model_dir, archive):
        code, out, _ = _run(
            capsys,
            "score",
            "--model",
            str(model),
            "--data",
            str(labelled),
            "--json",
            "--out",
            str(tmp_path / "out.csv"),
        )
        assert code == 0
        summary = json.loads(out)
        assert summary["roc_auc"] == pytest.approx(evaluated, abs=1e-12)
        assert summary["weights_sha256"] == open_model(model).digest_hex


def test_score_writes_one_csv_line_per_application_naming_model_and_digest(
    model_dir: Path, labelled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = pd.read_csv(labelled, dtype=str).drop(columns=["default"]).head(30)
    frame.loc[3, "annual_inc"] = "plenty"
    data = tmp_path / "apps.csv"
    frame.to_csv(data, index=False)
    out_csv = tmp_path / "scored.csv"
    code, out, err = _run(
        capsys, "score", "--model", str(model_dir), "--data", str(data), "--out", str(out_csv)
    )
    assert code == 0
    assert "scoring and explaining" in err
    assert "refused" in out
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert len(rows) == 30
    assert rows[3]["decision"] == "refused"
    assert "annual_inc must be a number" in rows[3]["errors"]
    digest = open_model(model_dir).digest_hex
    assert {r["weights_sha256"] for r in rows} == {digest}
    assert all(r["top_reasons"] for i, r in enumerate(rows) if i != 3)


def test_score_prints_reasons_in_words(
    model_dir: Path, labelled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "score", "--model", str(model_dir), "--data", str(labelled))
    assert code == 0
    assert "the risk" in out
    assert "exact logit contributions" in out
    assert "roc_auc" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a zip", "neither a model folder nor a readable zip"),
        (b"", "neither a model folder nor a readable zip"),
    ],
)
def test_bad_model_files_are_refused(content: bytes, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        model_from_zip(content)


def test_a_zip_without_weights_is_refused(model_dir: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(SPEC_FILE, (model_dir / SPEC_FILE).read_bytes())
    with pytest.raises(SpecError, match=r"no weights\.safetensors"):
        model_from_zip(buffer.getvalue())


def test_score_reports_a_missing_model_in_one_line(
    tmp_path: Path, labelled: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "score", "--model", str(tmp_path / "nope"), "--data", str(labelled))
    assert code == 1
    assert err.startswith("fedlend: no model at")
