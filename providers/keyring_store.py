"""``keyring``: the operating system's keyring, through the ``keyring`` library.

Keys are stored under service ``alphacast`` with the profile as the user name,
so the ``keyring`` command line reads and writes the same entries::

    keyring set alphacast prod      # prompts for the key
    keyring get alphacast prod

The backend is whatever ``keyring`` selects (``PYTHON_KEYRING_BACKEND`` and the
keyring configuration file apply). When it has no usable backend (the ``fail``
or ``null`` one, as on a headless server), the provider contributes nothing.
Where that is certain without asking keyring (:func:`no_backend_reason`: Linux
and other Unix without a D-Bus session, keyring's settings or a third-party
backend), keyring is not even imported, which saves a command about 40 ms.

A keyring must never hang a script: when stdin is not a terminal, a locked
Secret Service collection is reported at once instead of showing an unlock
prompt nobody will answer, and every backend call runs with a timeout
(``ALPHACAST_KEYRING_TIMEOUT`` seconds, default 10).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from alphacast import Credential, CredentialError, WritableCredentialProvider
from alphacast.hookspecs import hookimpl
from alphacast.secrets import interactive, seconds_setting, validate_key

SERVICE = "alphacast"
TIMEOUT_VARIABLE = "ALPHACAST_KEYRING_TIMEOUT"
DEFAULT_TIMEOUT = 10.0

_T = TypeVar("_T")

_FIX = (
    "check that the keyring service is running and unlocked (for the Secret Service: "
    "DBUS_SESSION_BUS_ADDRESS is set and gnome-keyring-daemon or KeePassXC is running), "
    "choose another backend with PYTHON_KEYRING_BACKEND, or leave keyring out of "
    "ALPHACAST_CREDENTIAL_CHAIN"
)
#: "the key cannot be ...": the past participle of each action.
_DONE = {"read": "read", "store": "stored", "delete": "deleted"}
_UNLOCK_FIX = (
    "unlock it (log in to the desktop session, or run `keyring get alphacast PROFILE` "
    "in a terminal to get an unlock prompt), or leave keyring out of "
    "ALPHACAST_CREDENTIAL_CHAIN"
)


class _Unusable(Exception):
    """The selected backend cannot store anything (fail or null keyring)."""


def no_backend_reason() -> str | None:
    """Why no keyring backend can work in this process, decided without importing
    keyring; ``None`` when one may (then keyring itself is asked).

    Mirrors keyring's own selection (``keyring.core._detect_backend``): a backend
    named by ``PYTHON_KEYRING_BACKEND`` or ``keyringrc.cfg`` is used as named; else
    the best viable one of keyring's built-ins and the ``keyring.backends`` entry
    points. On macOS and Windows the native backend is always viable. Elsewhere
    keyring's built-ins (Secret Service, KWallet, libsecret) all need a D-Bus
    session bus: ``DBUS_SESSION_BUS_ADDRESS``, else ``$XDG_RUNTIME_DIR/bus``, else
    one started for an X display (libdbus and GLib autolaunch it with ``DISPLAY``).
    Once keyring is imported, an application may have chosen a backend
    (``keyring.set_keyring``) or defined one: keyring is asked.
    """
    if "keyring" in sys.modules or sys.platform in ("darwin", "win32", "cygwin"):
        return None
    environ = os.environ
    if "PYTHON_KEYRING_BACKEND" in environ:
        return None
    if any(
        environ.get(name) for name in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY")
    ):
        return None
    runtime = [environ.get("XDG_RUNTIME_DIR") or "", f"/run/user/{os.getuid()}"]
    if any(folder and os.path.exists(os.path.join(folder, "bus")) for folder in runtime):
        return None
    config_home = environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    if os.path.exists(os.path.join(config_home, "python_keyring", "keyringrc.cfg")):
        return None
    from importlib import metadata

    for ep in metadata.entry_points(group="keyring.backends"):
        if not ep.value.startswith("keyring."):  # a third-party backend (keyrings.alt, ...)
            return None
    return (
        "no D-Bus session here (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret "
        "Service or KWallet; run in a desktop session or under `dbus-run-session`, or "
        "choose a backend with PYTHON_KEYRING_BACKEND"
    )


def backend_name(backend: object) -> str:
    """A short display name: ``SecretService``, ``macOS``, ``fail.Keyring``."""
    module = type(backend).__module__.rsplit(".", 1)[-1]
    cls = type(backend).__name__
    if cls == "Keyring" and module not in ("fail", "null"):
        return module
    return f"{module}.{cls}"


class KeyringProvider(WritableCredentialProvider):
    """Reads and writes keys in the system keyring."""

    name = "keyring"
    priority = 50

    def __init__(self, *, timeout: float | None = None) -> None:
        self._timeout = timeout
        self._last_backend = "keyring"
        self._last_unusable = False
        #: Why no backend can work, when that was decided without keyring.
        self._why_unusable: str | None = None

    def _timeout_seconds(self) -> float:
        if self._timeout is not None:
            return self._timeout
        raw = os.environ.get(TIMEOUT_VARIABLE)
        if not raw:
            return DEFAULT_TIMEOUT
        return seconds_setting(raw, what=f"{TIMEOUT_VARIABLE}={raw!r}", provider=self.name)

    def _backend(self) -> Any:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
        self._last_backend = backend_name(backend)
        self._last_unusable = isinstance(backend, fail.Keyring | null.Keyring)
        if self._last_unusable:
            raise _Unusable
        if not interactive():
            _refuse_locked_secret_service(backend)
        return backend

    def _call(self, action: str, profile: str, call: Callable[[Any], _T], secret: str = "") -> _T:
        """Run ``call(backend)`` in a worker thread, turning failures into CredentialError.

        Without a terminal the call is abandoned after the timeout (the daemon
        thread is left to finish on its own), so a backend waiting for an unlock
        prompt cannot hang the process.
        """
        reason = no_backend_reason()
        if reason is not None:
            # What keyring would have selected, without the ~40 ms of loading it.
            self._last_backend, self._why_unusable = "fail.Keyring", reason
            raise _Unusable
        self._why_unusable = None
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["value"] = call(self._backend())
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                outcome["error"] = exc

        worker = threading.Thread(target=work, name=f"alphacast-keyring-{action}", daemon=True)
        worker.start()
        timeout = None if interactive() else self._timeout_seconds()
        worker.join(timeout)
        if worker.is_alive():
            raise CredentialError(
                f"the keyring backend ({self._last_backend}) did not answer within "
                f"{timeout:g} s while trying to {action} the key of profile {profile!r} "
                f"(it may be waiting for an unlock prompt); {_FIX}",
                provider=self.name,
                profile=profile,
            )
        if "error" in outcome:
            raise self._translate(outcome["error"], action, profile, secret)
        value: _T = outcome["value"]
        return value

    def _translate(
        self, exc: BaseException, action: str, profile: str, secret: str
    ) -> BaseException:
        if isinstance(exc, CredentialError | _Unusable):
            return exc
        from keyring.errors import KeyringLocked, NoKeyringError

        if isinstance(exc, NoKeyringError):
            return _Unusable()
        backend = self._last_backend
        if isinstance(exc, KeyringLocked):
            return CredentialError(
                f"the keyring ({backend}) is locked, so the key of profile {profile!r} "
                f"cannot be {_DONE.get(action, action)}; {_UNLOCK_FIX}",
                provider=self.name,
                profile=profile,
            )
        if not isinstance(exc, Exception):
            return exc  # KeyboardInterrupt, SystemExit: not ours to translate
        detail = str(exc).splitlines()[0] if str(exc) else ""
        if secret:
            detail = detail.replace(secret, "***")
        detail = f": {detail}" if detail else ""
        return CredentialError(
            f"the keyring backend ({backend}) failed to {action} the key of profile "
            f"{profile!r} ({type(exc).__name__}{detail}); {_FIX}",
            provider=self.name,
            profile=profile,
        )

    def _source(self, profile: str) -> str:
        return f"keyring {self._last_backend} service {SERVICE!r} user {profile!r}"

    def resolve(self, profile: str) -> Credential | None:
        try:
            value = self._call("read", profile, lambda b: b.get_password(SERVICE, profile))
        except _Unusable:
            self._last_unusable = True
            return None
        if value is None:
            return None
        return Credential(value, provider=self.name, source=self._source(profile), profile=profile)

    def describe_miss(self, profile: str) -> str:
        if self._last_unusable:
            why = f": {self._why_unusable}" if self._why_unusable else ""
            return f"no usable keyring backend ({self._last_backend}){why}"
        return f"no password for service {SERVICE!r} user {profile!r} in {self._last_backend}"

    def profiles(self) -> list[str] | None:
        """The profiles of a Secret Service keyring, found by the attributes of its
        entries: a search that neither unlocks the collection nor reads a secret. Other
        backends cannot be searched (``None``); none that works: ``[]``."""
        if no_backend_reason() is not None:
            return []
        import keyring
        from keyring.backends import SecretService, fail, null

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring | null.Keyring):
            return []
        if not isinstance(backend, SecretService.Keyring):
            return None
        try:
            scheme = backend.schemes[backend.scheme]
            with _preferred_collection(backend) as collection:
                items = collection.search_items({scheme["service"]: SERVICE})
                users = [item.get_attributes().get(scheme["username"]) for item in items]
        except Exception as exc:  # noqa: BLE001 - any D-Bus failure: say the search failed
            raise CredentialError(
                f"the Secret Service cannot be searched ({type(exc).__name__})",
                provider=self.name,
            ) from None
        return [user for user in users if user]

    def store(self, profile: str, api_key: str) -> str:
        key = validate_key(api_key, provider=self.name, source="the key to store", profile=profile)
        try:
            self._call(
                "store", profile, lambda b: b.set_password(SERVICE, profile, key), secret=key
            )
        except _Unusable:
            why = f" ({self._why_unusable})" if self._why_unusable else ""
            raise CredentialError(
                f"no usable keyring backend ({self._last_backend}) to store the key in{why}; "
                "install and start a keyring service, set PYTHON_KEYRING_BACKEND, or "
                "store the key elsewhere (--store shared-file or encrypted-file)",
                provider=self.name,
                profile=profile,
            ) from None
        return self._source(profile)

    def delete(self, profile: str) -> bool:
        def remove(backend: Any) -> bool:
            if backend.get_password(SERVICE, profile) is None:
                return False
            from keyring.errors import PasswordDeleteError

            try:
                backend.delete_password(SERVICE, profile)
            except PasswordDeleteError:
                return False
            return True

        try:
            return self._call("delete", profile, remove)
        except _Unusable:
            return False


def _refuse_locked_secret_service(backend: object) -> None:
    """Raise KeyringLocked instead of letting the Secret Service show an unlock prompt.

    Mirrors how ``keyring``'s SecretService backend picks its collection.
    """
    from keyring.backends import SecretService, chainer
    from keyring.errors import KeyringLocked

    if isinstance(backend, chainer.ChainerBackend):
        for member in backend.backends:
            _refuse_locked_secret_service(member)
        return
    if not isinstance(backend, SecretService.Keyring):
        return
    import secretstorage

    try:
        with _preferred_collection(backend) as collection:
            if collection.is_locked():
                raise KeyringLocked("the collection is locked and no terminal can prompt")
    except secretstorage.exceptions.ItemNotFoundException:
        return  # no default collection yet: creating one is the backend's business


@contextlib.contextmanager
def _preferred_collection(backend: Any) -> Iterator[Any]:
    """The collection keyring's SecretService ``backend`` uses (its preferred one, else
    the default), on a D-Bus connection of its own, closed afterwards."""
    import secretstorage

    connection = secretstorage.dbus_init()
    try:
        path = getattr(backend, "preferred_collection", None)
        yield secretstorage.Collection(connection, *([path] if path else []))
    finally:
        connection.close()


@hookimpl
def alphacast_credential_providers() -> Iterable[WritableCredentialProvider]:
    return [KeyringProvider()]
