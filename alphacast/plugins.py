"""Discovering credential-provider plugins through the ``alphacast`` entry points.

Built-in and third-party providers arrive the same way: an entry point in the
``alphacast`` group names a module (or object) implementing the
:func:`~alphacast.hookspecs.alphacast_credential_providers` hook. The plugin
manager is built on first use, never at import time. A plugin that fails to
import, raises, or returns something that is not a provider is recorded as
broken (see :func:`registry`) and contributes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from alphacast import hookspecs
from alphacast._credentials import CredentialProvider
from alphacast._forksafe import ForkSafeLock
from alphacast.config import split_names
from alphacast.redact import redact_text

__all__ = ["PluginInfo", "Registry", "register", "registry", "reset"]

ENTRY_POINT_GROUP = "alphacast"


@dataclass(frozen=True)
class PluginInfo:
    """One plugin: where it came from and what it gave, or why it failed."""

    name: str
    distribution: str | None
    version: str | None
    providers: tuple[str, ...] = ()
    error: str | None = None


@dataclass
class Registry:
    """Every provider by name, and every plugin with its status."""

    providers: dict[str, CredentialProvider] = field(default_factory=dict)
    plugins: list[PluginInfo] = field(default_factory=list)

    @property
    def broken(self) -> list[PluginInfo]:
        return [p for p in self.plugins if p.error is not None]


_lock = ForkSafeLock()
_registry: Registry | None = None
_extra: list[tuple[str, object]] = []


def register(plugin: object, name: str) -> None:
    """Register an in-process plugin (an object or module with hook functions).

    For applications and tests that ship a provider without an entry point.
    Takes effect for chains built afterwards.
    """
    global _registry
    with _lock:
        _extra.append((name, plugin))
        _registry = None


def reset() -> None:
    """Forget what was discovered; the next use scans the entry points again."""
    global _registry
    with _lock:
        _registry = None
        _extra.clear()


def registry() -> Registry:
    """The providers and plugins of this process, discovered on first call."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = _discover()
        return _registry


def _disabled() -> set[str]:
    return set(split_names(os.environ.get("ALPHACAST_DISABLE_PLUGINS", "")))


def _discover() -> Registry:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    result = Registry()
    disabled = _disabled()
    candidates: list[tuple[str, str | None, str | None, Any]] = []

    # Each distribution's metadata is parsed once (``dist.name`` and ``dist.version``
    # parse the whole METADATA file at every call).
    origins: dict[int, tuple[str | None, str | None]] = {}

    def origin(ep: metadata.EntryPoint) -> tuple[str | None, str | None]:
        if ep.dist is None:
            return None, None
        key = id(ep.dist)
        if key not in origins:
            found = ep.dist.metadata
            origins[key] = found["Name"], found["Version"]
        return origins[key]

    # The SDK's own distribution registers first, so no other plugin can take the
    # name of a built-in provider (a plugin named "keyring" cannot shadow the real one).
    def load_order(ep: metadata.EntryPoint) -> tuple[bool, str]:
        return (origin(ep)[0] != hookspecs.PROJECT_NAME, ep.name)

    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=load_order):
        dist, version = origin(ep)
        if ep.name in disabled:
            continue
        try:
            candidates.append((ep.name, dist, version, ep.load()))
        except Exception as exc:  # noqa: BLE001 - any import failure marks the plugin broken
            result.plugins.append(PluginInfo(ep.name, dist, version, error=_describe(exc)))
    candidates += [(name, None, None, obj) for name, obj in _extra if name not in disabled]

    for name, dist, version, obj in candidates:
        try:
            pm.register(obj, name=name)
        except Exception as exc:  # noqa: BLE001 - pluggy validation errors vary
            result.plugins.append(PluginInfo(name, dist, version, error=_describe(exc)))
            continue
        try:
            provided = _collect(pm, name, disabled)
        except Exception as exc:  # noqa: BLE001 - a plugin may raise anything
            result.plugins.append(PluginInfo(name, dist, version, error=_describe(exc)))
            continue
        clash = [p.name for p in provided if p.name in result.providers]
        if clash:
            error = f"provider name {clash[0]!r} is already taken by another plugin"
            result.plugins.append(PluginInfo(name, dist, version, error=error))
            continue
        for provider in provided:
            result.providers[provider.name] = provider
        result.plugins.append(PluginInfo(name, dist, version, tuple(p.name for p in provided)))
    return result


def _collect(
    pm: pluggy.PluginManager, plugin_name: str, disabled: set[str]
) -> list[CredentialProvider]:
    plugin = pm.get_plugin(plugin_name)
    _check_hooks(pm, plugin)
    impls = [
        impl
        for impl in pm.hook.alphacast_credential_providers.get_hookimpls()
        if impl.plugin is plugin
    ]
    providers: list[CredentialProvider] = []
    for impl in impls:
        # Called one implementation at a time, not through pm.hook: an exception or a
        # bad return marks this plugin broken without hiding the others' providers.
        returned = impl.function()
        if returned is not None and not isinstance(returned, Iterable):
            raise TypeError(
                f"alphacast_credential_providers returned {type(returned).__name__}, "
                "not an iterable of providers"
            )
        for item in returned or ():
            if not isinstance(item, CredentialProvider):
                raise TypeError(
                    f"alphacast_credential_providers returned {type(item).__name__}, "
                    "not a CredentialProvider"
                )
            if not item.name or not isinstance(item.name, str):
                raise TypeError(f"{type(item).__name__} has no name")
            if item.name not in disabled:
                providers.append(item)
    return providers


#: pluggy options that mean nothing here: hooks are called one plugin at a time and
#: the chain's order is the documented provider order, not pluggy's call order.
_UNHONOURED_OPTIONS = ("tryfirst", "trylast", "hookwrapper", "wrapper")


def _check_hooks(pm: pluggy.PluginManager, plugin: object) -> None:
    """Refuse what would be silently ignored: a hook name that is not an alphacast
    hook (a typo), and hookimpl options this SDK does not honour."""
    for caller in pm.get_hookcallers(plugin) or ():
        for impl in caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            if not caller.has_spec() and not impl.optionalhook:
                hooks = ", ".join(n for n in hookspecs.__all__ if n.startswith("alphacast_"))
                raise TypeError(f"{caller.name} is not an alphacast hook (the hooks: {hooks})")
            used = [option for option in _UNHONOURED_OPTIONS if getattr(impl, option, False)]
            if used:
                raise TypeError(
                    f"hookimpl option {used[0]}=True is not honoured: each plugin's hook is "
                    "called on its own, and providers are ordered by priority and "
                    "credential_chain (see the plugin guide)"
                )


def _describe(exc: BaseException) -> str:
    text = redact_text(str(exc)) if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
