"""New bounty: upload the validation CSV, preview the deduced spec, post it as a background job."""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from fedlend.errors import AlreadyPostedError, DataError, FedlendError, SpecError
from fedlend.services.bounty_terms import BountyTerms
from fedlend.services.lender import PostedModel, SpecPreview
from fedlend.web import get_db, get_jobs, wallet_mode
from fedlend.web.connection import offline_page
from fedlend.web.job_recheck import recheck_job
from lender_app import forms
from lender_app.context import get_lender

bp = Blueprint("bounties", __name__, url_prefix="/bounties")
JOB_KIND = "post"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
MAX_UPLOADS = 8  # previews kept for the form to come back filled in
UPLOAD_TTL_S = 24 * 3600
MIGRATIONS = [
    """CREATE TABLE bounty_drafts (
        job_id TEXT PRIMARY KEY,
        upload TEXT NOT NULL,
        fields TEXT NOT NULL,
        created_at REAL NOT NULL
    )""",
]


def init_app(app: Flask) -> None:
    """Create this blueprint's table and register it."""
    app.extensions["fedlend_db"].migrate("lender_bounty_drafts", MIGRATIONS)
    app.register_blueprint(bp)


@bp.get("/new")
def new() -> ResponseReturnValue:
    """The empty form, or a failed post's form again (?retry=<job id>) with its upload kept."""
    try:
        get_lender()
    except FedlendError as exc:
        return offline_page("Post a new bounty", exc)
    values, upload = forms.form_values({}), None
    retry = request.args.get("retry", "")
    if retry:
        row = get_db().query_one("SELECT * FROM bounty_drafts WHERE job_id = ?", (retry,))
        posted = _already_posted(row)
        if posted is not None:
            flash(
                f"This bounty was already posted as model #{posted}: its createModel was mined "
                "before the app stopped, so nothing is posted (or escrowed) a second time.",
                "info",
            )
            return redirect(url_for("models.show", model_id=posted))
        if row is not None and _upload_path(row["upload"]).exists():
            values, upload = forms.form_values(json.loads(row["fields"])), row["upload"]
    preview = None
    if upload is not None:
        preview = _preview(_upload_path(upload).read_bytes(), values)
    return _render(values, {}, preview, upload)


@bp.post("/new")
def submit() -> ResponseReturnValue:
    """Preview the spec (action=preview) or validate every field and start posting (action=post)."""
    values = forms.form_values(request.form)
    errors = forms.choice_errors(values)
    data, upload, csv_error = _csv_from_request()
    preview = None
    if csv_error:
        errors["csv"] = csv_error
    elif data is not None and not errors:
        try:
            preview = _preview(data, values)
        except (DataError, SpecError) as exc:
            errors["csv"] = f"This file cannot be used: {exc}"
        else:
            upload = _keep_upload(data)
    if request.form.get("action") == "post" and "csv" not in errors:
        node = get_lender().node
        terms, problems = forms.parse_terms(
            values, chain_time=node.chain_time(), balance_wei=node.balance()
        )
        errors.update(problems)
        if terms is not None and not errors and upload is not None:
            if _needs_confirm(terms):
                return _render(values, errors, preview, upload, confirm=terms)
            return redirect(url_for(".posting", job_id=_start_post(terms, upload, values)))
    return _render(values, errors, preview, upload, status=400 if errors else 200)


def _needs_confirm(terms: forms.BountyTerms) -> bool:
    """Key mode asks once for the exact escrow; in wallet mode the wallet review screen asks."""
    if wallet_mode.wallet_mode():
        return False
    return request.form.get("confirm_wei") != str(terms.bounty_wei)


def _already_posted(draft: Any) -> int | None:
    """The model a draft's posting became, if its transaction was mined (found by post id)."""
    if draft is None:
        return None
    post_id = str(json.loads(draft["fields"]).get("post_id", ""))
    if not forms.POST_ID.fullmatch(post_id):
        return None
    found = get_lender().find_posted(post_id)
    return found.model_id if found is not None else None


@bp.get("/posting/<job_id>")
def posting(job_id: str) -> ResponseReturnValue:
    """The posting job's progress; once it has posted, the new model's page."""
    job = get_jobs().get(job_id)
    if job.kind != JOB_KIND:
        abort(404)
    job = recheck_job(get_jobs(), lambda: get_lender().node.client, job)
    result = job.result if isinstance(job.result, dict) else {}
    if job.state == "done" and "model_id" in result:
        flash(f"Posted model #{result['model_id']}: the bounty is escrowed on-chain.", "success")
        return redirect(url_for("models.show", model_id=result["model_id"]))
    return render_template("bounties/posting.html", job=job)


def _render(
    values: dict[str, str],
    errors: dict[str, str],
    preview: SpecPreview | None,
    upload: str | None,
    *,
    status: int = 200,
    confirm: BountyTerms | None = None,
) -> ResponseReturnValue:
    node = get_lender().node
    html = render_template(
        "bounties/new.html",
        values=values,
        errors=errors,
        preview=preview,
        upload=upload,
        confirm=confirm,
        chain_time=node.chain_time(),
        balance=node.balance(),
        model_kinds=forms.MODEL_KINDS,
        metrics=forms.METRICS,
        bases=forms.BASES,
    )
    return html, status


def _preview(data: bytes, values: dict[str, str]) -> SpecPreview:
    try:
        fraction = forms.parse_share(values["base_share"])
    except ValueError:
        fraction = 0.5
    return get_lender().preview(
        data,
        model_kind=values["model_kind"],
        metric=values["metric"],
        base=values["base"],
        base_fraction=fraction,
    )


def _csv_from_request() -> tuple[bytes | None, str | None, str | None]:
    """(CSV bytes, kept-upload id, error): a new file wins over an earlier upload."""
    file = request.files.get("csv")
    if file is not None and file.filename:
        return file.read(), None, None
    upload = request.form.get("upload", "")
    if SHA256_HEX.fullmatch(upload) and _upload_path(upload).exists():
        return _upload_path(upload).read_bytes(), upload, None
    return (
        None,
        None,
        (
            "Choose your validation CSV (.csv or .csv.gz of loans with a `default` column); "
            "it stays on this computer."
        ),
    )


def _uploads() -> Path:
    path = Path(current_app.config["DATA_DIR"]) / "uploads"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _upload_path(upload: str) -> Path:
    if not SHA256_HEX.fullmatch(upload):
        raise FedlendError("that upload id is malformed; upload the file again")
    return _uploads() / f"{upload}.csv"


def _keep_upload(data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    path = _upload_path(sha)
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        tmp.touch(mode=0o600)
        tmp.write_bytes(data)
        tmp.replace(path)
    path.touch()  # previewed again: the newest
    sweep_uploads(_uploads(), keep=path)
    return sha


def sweep_uploads(folder: Path, *, keep: Path, max_age_s: float = UPLOAD_TTL_S) -> None:
    """Delete previews older than `max_age_s` and all but the newest MAX_UPLOADS (never `keep`)."""
    ages = {}
    for path in folder.glob("*.csv"):
        try:
            ages[path] = time.time() - path.stat().st_mtime
        except FileNotFoundError:  # another request swept it meanwhile
            continue
    for index, path in enumerate(sorted(ages, key=ages.__getitem__)):
        if path != keep and (index >= MAX_UPLOADS or ages[path] > max_age_s):
            path.unlink(missing_ok=True)


def _start_post(terms: BountyTerms, upload: str, values: dict[str, str]) -> str:
    path = _upload_path(upload)
    job_id = get_jobs().submit(
        JOB_KIND,
        partial(
            post_job, data=path.read_bytes(), upload=path, terms=terms, post_id=values["post_id"]
        ),
        title=f"Post bounty “{terms.title}”",
    )
    get_db().execute(
        "INSERT INTO bounty_drafts (job_id, upload, fields, created_at) VALUES (?, ?, ?, ?)",
        (job_id, upload, json.dumps(values), time.time()),
    )
    return job_id


def post_job(
    progress: Callable[..., None],
    _cancelled: Callable[[], bool],
    *,
    data: bytes,
    upload: Path,
    terms: BountyTerms,
    post_id: str = "",
) -> dict[str, Any]:
    """The background job: train or initialise the base model, score it, send createModel
    (a verified bounty: set up the circuit, prove the score, send createVerifiedModel; each
    stage reports its progress, proving takes minutes at full size).

    Once posted, the uploaded copy goes (the service keeps the validation data it needs); after a
    failure it stays, so the form can come back filled in. A form posted twice (same post id)
    finds the first bounty instead of escrowing another.
    """
    try:
        return _posted(upload, _post(data, terms, post_id, progress))
    except AlreadyPostedError as exc:
        progress(1.0, f"already posted as model #{exc.model_id}: nothing escrowed again")
        upload.unlink(missing_ok=True)
        return {"redirect": f"/models/{exc.model_id}", "model_id": exc.model_id, "again": True}


def _post(
    data: bytes, terms: BountyTerms, post_id: str, progress: Callable[..., None]
) -> PostedModel:
    return get_lender().post_bounty(data, terms, progress=progress, post_id=post_id)


def _posted(upload: Path, posted: PostedModel) -> dict[str, Any]:
    upload.unlink(missing_ok=True)
    return {
        "redirect": f"/models/{posted.model_id}",
        "model_id": posted.model_id,
        "initial_score": posted.initial_score,
        "tx_hash": posted.sent.tx_hash,
        "verified": posted.verified is not None,
    }
