"""Where each effective setting comes from: for ``config list``, ``exec`` and messages.

The client picks its URLs as :class:`alphacast.Alphacast` does (an argument, then
``ALPHACAST_API_URL``/``ALPHACAST_WORKSPACE_URL``, then the profile's section of the
config file, then the public service); this module repeats that order with the
source of each value, so a message can say "api_url from ALPHACAST_API_URL".
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from alphacast.config import (
    DEFAULT_API_URL,
    DEFAULT_WORKSPACE_URL,
    config_location,
    profile_settings,
)

__all__ = ["Setting", "url_settings"]


@dataclass(frozen=True)
class Setting:
    """One effective setting: its value, and where it came from."""

    name: str
    value: str
    #: ``env``, ``config-file`` or ``default`` (as ``aws configure list``'s Type)
    type: str
    #: the variable or the file section that set it; empty for a default
    location: str

    def origin(self) -> str:
        """``ALPHACAST_API_URL``, ``[profile prod] of ~/.alphacast/config`` or ``the default``."""
        return self.location or "the default"


def _one(name: str, variable: str, default: str, profile: str) -> Setting:
    from_env = os.environ.get(variable)
    if from_env:
        return Setting(name, from_env, "env", variable)
    configured = profile_settings(profile).get(name)
    if configured:
        return Setting(name, configured, "config-file", config_location(profile))
    return Setting(name, default, "default", "")


def url_settings(profile: str) -> tuple[Setting, Setting]:
    """The ``api_url`` and ``workspace_url`` a client for ``profile`` uses."""
    return (
        _one("api_url", "ALPHACAST_API_URL", DEFAULT_API_URL, profile),
        _one("workspace_url", "ALPHACAST_WORKSPACE_URL", DEFAULT_WORKSPACE_URL, profile),
    )
