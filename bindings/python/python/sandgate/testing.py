"""Test helpers: an in-process mock OpenSandbox platform, and a pytest fixture for it.

``MockServer.start(route_mode="header", trusted_headers=False)`` (or ``MockServer(...)``, the
same) starts the mock (lifecycle API, keys API and a verifying gateway) on free loopback ports;
use it as a context manager, or call ``stop()``::

    from sandgate import Client
    from sandgate.testing import MockServer

    with MockServer.start(trusted_headers=True) as mock:
        client = Client(domain=mock.domain, api_key=mock.admin_key)
        ...

To use the ``mock_server`` fixture, enable this module as a plugin in your ``conftest.py``::

    pytest_plugins = ["sandgate.testing"]

and configure it per test with ``@pytest.mark.sandgate_mock(route_mode="uri",
trusted_headers=True)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from ._native import MockRequest, MockServer

__all__ = ["MockServer", "MockRequest", "mock_server"]

try:
    import pytest
except ImportError:  # pytest is optional: the fixture exists only where pytest does.
    if not TYPE_CHECKING:
        pytest = None

if pytest is not None:

    def pytest_configure(config: Any) -> None:
        config.addinivalue_line(
            "markers",
            "sandgate_mock(route_mode='header', trusted_headers=False): "
            "options of the mock_server fixture",
        )

    @pytest.fixture
    def mock_server(request: Any) -> Iterator[MockServer]:
        """A fresh MockServer for one test, stopped afterwards."""
        marker = request.node.get_closest_marker("sandgate_mock")
        options = dict(marker.kwargs) if marker is not None else {}
        with MockServer.start(**options) as server:
            yield server
