"""What several built-in providers share."""

from __future__ import annotations

import os

from alphacast.secrets import DEFAULT_PROFILE


def serves_implicit_profile(profile: str) -> bool:
    """Whether ``profile`` is the implicit one: the default profile, or the one
    ``ALPHACAST_PROFILE`` names. The ambient providers (``env``, ``dotenv``) serve
    only that one, never a profile named in code."""
    return profile in (DEFAULT_PROFILE, os.environ.get("ALPHACAST_PROFILE"))
