"""The hooks a plugin may implement, all in one place.

A plugin is any module or object registered under the ``alphacast`` entry-point
group whose functions are marked with :data:`alphacast.hookimpl`::

    # pyproject.toml of the plugin distribution
    [project.entry-points.alphacast]
    my-store = "my_package.plugin"

    # my_package/plugin.py
    import alphacast

    @alphacast.hookimpl
    def alphacast_credential_providers():
        return [MyStoreProvider()]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from alphacast._credentials import CredentialProvider

PROJECT_NAME = "alphacast"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)

__all__ = ["alphacast_credential_providers", "hookimpl", "hookspec"]


@hookspec
def alphacast_credential_providers() -> Iterable[CredentialProvider] | None:
    """Return the credential providers this plugin contributes.

    Called once per process, the first time a credential chain is built (the
    first ``Alphacast()`` without an explicit key, or ``alphacast auth ...``).
    Each item must be a :class:`alphacast.CredentialProvider` instance with a
    unique ``name``. Returning ``None`` or an empty iterable contributes nothing.
    Anything else (a non-provider item, a duplicate name, an exception) marks the
    plugin as broken: it is listed by ``alphacast plugins`` and in
    :class:`alphacast.NoCredentialError`, and none of its providers is used.
    """
