"""fedlend.web.connection: one lazily built service per app, failures remembered, then retried."""

from __future__ import annotations

import threading
import time

import pytest
from flask import Flask

from fedlend.errors import ChainUnavailableError, ContractError, FedlendError, SealingError
from fedlend.web.connection import ServiceConnection, copy_error


class Builder:
    """Builds a service (a counter value), failing the first `failures` times."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise ChainUnavailableError(f"chain down (attempt {self.calls}): start Anvil")
        return f"service #{self.calls}"


@pytest.mark.parametrize(
    ("error", "fields"),
    [
        (ContractError("refused", error_name="ModelRepositoryZeroDigest", args=(1,)), "error_name"),
        (SealingError("wrong model", reason="wrong-model"), "reason"),
    ],
)
def test_a_copied_error_keeps_its_type_message_and_fields(error: FedlendError, fields: str) -> None:
    copied = copy_error(error)
    assert copied is not error
    assert type(copied) is type(error)
    assert str(copied) == str(error)
    assert getattr(copied, fields) == getattr(error, fields)


def test_the_service_is_built_once_and_shared_across_threads() -> None:
    build = Builder()
    connection = ServiceConnection("probe", build)
    seen: list[str] = []
    threads = [threading.Thread(target=lambda: seen.append(connection.get())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["service #1"] * 8
    assert build.calls == 1


def test_a_failure_is_remembered_for_the_retry_window_then_retried() -> None:
    build = Builder(failures=1)
    connection = ServiceConnection("probe", build, retry_after_s=0.3)
    with pytest.raises(ChainUnavailableError, match="attempt 1"):
        connection.get()
    with pytest.raises(ChainUnavailableError, match="attempt 1"):
        connection.get()  # inside the window: the same error, no new attempt
    assert build.calls == 1
    time.sleep(0.35)
    assert connection.get() == "service #2"


def test_within_one_request_a_failure_is_not_retried() -> None:
    build = Builder(failures=1)
    connection = ServiceConnection("probe", build)  # no window: a later request retries at once
    app = Flask(__name__)
    with app.test_request_context("/"):
        for _ in range(3):
            with pytest.raises(ChainUnavailableError, match="attempt 1"):
                connection.get()
        assert build.calls == 1
    with app.test_request_context("/"):
        assert connection.get() == "service #2"


def test_forget_drops_the_service_and_the_next_use_reconnects() -> None:
    build = Builder()
    connection = ServiceConnection("probe", build)
    assert connection.get() == "service #1"
    connection.forget()
    assert connection.get() == "service #2"
