"""0.1.9's module path: ``from alphacast.alphacast import Alphacast``.

Scripts written for 0.1.9 point the client at another host (a staging service,
the emulator) by setting this module's globals before creating the client::

    import alphacast.alphacast
    alphacast.alphacast.BASE_URL = "https://api.staging.example"
    client = alphacast.alphacast.Alphacast("ak_...")

A client reads them when it is created (0.1.9 read them on every request), and
only where they differ from the public hosts; ``Alphacast(api_url=...)`` and
``workspace_url=...`` win over them, and they win over ``ALPHACAST_API_URL`` /
``ALPHACAST_WORKSPACE_URL`` and the profile's settings.
"""

from __future__ import annotations

from alphacast._client import Alphacast
from alphacast.config import DEFAULT_API_URL, DEFAULT_WORKSPACE_URL

__all__ = ["BASE_URL", "WORKSPACE_URL", "Alphacast"]

#: The API host for clients created from now on (0.1.9's global).
BASE_URL: str = DEFAULT_API_URL
#: The workspace (search) host for clients created from now on (0.1.9's global).
WORKSPACE_URL: str = DEFAULT_WORKSPACE_URL
