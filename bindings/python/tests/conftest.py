"""The suite uses the package's own pytest plugin, as a user would."""

from typing import Iterator

import pytest

pytest_plugins = ["sandgate.testing"]


@pytest.fixture(autouse=True)
def _no_client_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Client options in these tests come from arguments, never from the machine's env."""
    for name in ("OPEN_SANDBOX_DOMAIN", "OPEN_SANDBOX_API_KEY", "OPEN_SANDBOX_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)
    yield
