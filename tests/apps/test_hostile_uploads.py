"""Hostile CSV uploads: a gzip bomb is refused fast, CR line endings work, previews are swept."""

from __future__ import annotations

import io
import os
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from lender_app.bounties import MAX_UPLOADS, sweep_uploads
from tests.apps.helpers import assert_no_traceback, build_app, csrf_token
from tests.market import *  # noqa: F403
from tests.market import Market


@pytest.fixture
def owner_app(market: Market, tmp_path: Path) -> Iterator[Flask]:
    app = build_app("owner", tmp_path / "owner", FEDLEND_SETTINGS=market.settings(3))
    yield app
    app.extensions["fedlend_jobs"].shutdown()


def _upload(app: Flask, data: bytes, name: str) -> tuple[int, str, float]:
    client = app.test_client()
    form = {"csrf_token": csrf_token(client, "/data/"), "file": (io.BytesIO(data), name)}
    started = time.perf_counter()
    response = client.post("/data/", data=form, content_type="multipart/form-data")
    body = response.get_data(as_text=True)
    assert_no_traceback(body)
    return response.status_code, body, time.perf_counter() - started


def _bomb(header: bytes, row: bytes, size: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts, chunk, written = [packer.compress(header)], row * (1 << 16), 0
    while written < size:
        parts.append(packer.compress(chunk))
        written += len(chunk)
    return b"".join([*parts, packer.flush()])


def test_a_gzip_bomb_upload_is_refused_in_well_under_a_second_or_two(
    owner_app: Flask, loan_csvs: dict[str, bytes]
) -> None:
    lines = loan_csvs["owner1"].split(b"\n")
    bomb = _bomb(lines[0] + b"\n", lines[1] + b"\n", 250_000_000)
    status, body, seconds = _upload(owner_app, bomb, "loans.csv.gz")
    assert status == 400
    assert "decompresses to over" in body
    assert seconds < 5, seconds


def test_cr_only_line_endings_are_read_not_a_500(
    owner_app: Flask, loan_csvs: dict[str, bytes]
) -> None:
    data = loan_csvs["owner1"].replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    status, body, _ = _upload(owner_app, data, "mac.csv")
    assert status == 302, body[:500]


def test_old_and_surplus_previews_are_swept(tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    paths = []
    for i in range(MAX_UPLOADS + 5):
        path = folder / f"{i:064x}.csv"
        path.write_bytes(b"x")
        os.utime(
            path,
            (time.time() - 60 * (MAX_UPLOADS + 5 - i), time.time() - 60 * (MAX_UPLOADS + 5 - i)),
        )
        paths.append(path)
    stale = paths[0]
    os.utime(stale, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    sweep_uploads(folder, keep=stale)
    kept = sorted(folder.glob("*.csv"))
    assert stale in kept  # the one being used is never swept
    assert len(kept) == MAX_UPLOADS + 1
    assert paths[-1] in kept
    assert paths[1] not in kept
