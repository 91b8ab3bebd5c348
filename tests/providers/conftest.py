"""Fixtures for the provider tests (the Secret Service ones are in ``tests/conftest.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(isolated_env: Path) -> Path:
    """The test's HOME (``isolated_env``), under the name the provider tests use."""
    return isolated_env
