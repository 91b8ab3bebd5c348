"""``dotenv``: ``ALPHACAST_API_KEY`` in a ``.env`` file.

The file is ``.env`` in the current directory, or the file ``ALPHACAST_DOTENV_FILE``
names. Parent directories are not searched: a key must not be picked up from
whatever ``.env`` happens to sit above the directory a script runs in. The file
is parsed with python-dotenv (``dotenv_values``); ``os.environ`` is never changed.

Like ``env``, the file serves only the implicit profile (the default one, or the
one ``ALPHACAST_PROFILE`` names), never a profile named in code.

Scripts that already keep their key in ``.env`` under a generic name such as
``API_KEY`` can opt in to that name explicitly::

    export ALPHACAST_DOTENV_KEY=API_KEY

A generic name is never read unless asked for: it may well be another service's
key. A ``.env`` file holds secrets, so it is read with the same checks as any
secret file: it must be private to its owner (``chmod 600 .env``).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from pathlib import Path

from alphacast import Credential, CredentialError, CredentialProvider
from alphacast.hookspecs import hookimpl
from alphacast.secrets import display_path, read_file_checking_privacy

from ._common import serves_implicit_profile

KEY_VARIABLE = "ALPHACAST_API_KEY"
FILE_VARIABLE = "ALPHACAST_DOTENV_FILE"
NAME_VARIABLE = "ALPHACAST_DOTENV_KEY"

_VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


class DotenvProvider(CredentialProvider):
    """Reads the key from a ``.env`` file without loading it into the environment."""

    name = "dotenv"
    priority = 30
    ambient = True

    def _location(self) -> tuple[Path, str, bool]:
        """The file, how to show it, and whether the user named it explicitly."""
        named = os.environ.get(FILE_VARIABLE)
        if named:
            path = Path(named).expanduser()
            return path, display_path(path), True
        return Path.cwd() / ".env", "./.env", False

    def _variable(self, profile: str) -> str:
        chosen = os.environ.get(NAME_VARIABLE) or KEY_VARIABLE
        if not _VARIABLE_NAME.fullmatch(chosen):
            raise CredentialError(
                f"{NAME_VARIABLE} must name a variable (letters, digits, '_'), "
                f"got {chosen!r}; fix or unset it",
                provider=self.name,
                profile=profile,
            )
        return chosen

    def _values(self, profile: str) -> tuple[dict[str, str | None] | None, CredentialError | None]:
        """The variables of the file (``None`` if there is no file), and what is
        wrong with its permissions, if anything.

        A project's ``.env`` is often world-readable and holds no key of ours: only
        a file that holds the variable we read must be private (see resolve).
        """
        path, shown, explicit = self._location()
        raw, problem = read_file_checking_privacy(path, provider=self.name, profile=profile)
        if raw is None:
            if explicit:
                raise CredentialError(
                    f"{FILE_VARIABLE} names {shown}, which does not exist; "
                    "create it or unset the variable",
                    provider=self.name,
                    profile=profile,
                )
            return None, None
        return parse_dotenv(raw, shown=shown, provider=self.name, profile=profile), problem

    def resolve(self, profile: str) -> Credential | None:
        if not serves_implicit_profile(profile):
            return None
        variable = self._variable(profile)
        values, privacy_problem = self._values(profile)
        if values is None or variable not in values:
            return None
        if privacy_problem is not None:
            raise privacy_problem
        _, shown, _ = self._location()
        value = values[variable]
        if value is None:
            raise CredentialError(
                f"{variable} in {shown} has no value (the line has no '='); "
                f"write it as {variable}=<your key>",
                provider=self.name,
                profile=profile,
            )
        source = f"{variable} in {shown}"
        return Credential(value, provider=self.name, source=source, profile=profile)

    def describe_miss(self, profile: str) -> str:
        if not serves_implicit_profile(profile):
            return f"{self.name} only serves the default profile or ALPHACAST_PROFILE"
        path, shown, _ = self._location()
        try:
            variable = self._variable(profile)
            values, _ = self._values(profile)
        except CredentialError as exc:
            return str(exc)
        if values is None:
            return f"no .env in {path.parent}"
        hint = ""
        if variable == KEY_VARIABLE and "API_KEY" in values:
            hint = f" (it has API_KEY: to use that, set {NAME_VARIABLE}=API_KEY)"
        return f"{variable} not in {shown}{hint}"


def parse_dotenv(
    raw: bytes, *, shown: str, provider: str = "dotenv", profile: str | None = None
) -> dict[str, str | None]:
    """The variables of a ``.env`` file's bytes, without touching ``os.environ``.

    Lines python-dotenv cannot parse are an error naming the line (never its
    content, which may hold a key).
    """
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CredentialError(
            f"{shown} is not UTF-8 text; save it as UTF-8",
            provider=provider,
            profile=profile,
        ) from None
    if "\x00" in text:
        raise CredentialError(
            f"{shown} contains NUL bytes; it is not a text file. Fix: rewrite it as "
            "NAME=value lines",
            provider=provider,
            profile=profile,
        )
    broken = [b.original.line for b in parse_stream(io.StringIO(text)) if b.error]
    if broken:
        lines = ", ".join(str(n) for n in broken[:5])
        raise CredentialError(
            f"{shown} cannot be parsed (line {lines}); fix the file: each line must be "
            "NAME=value, a comment (#) or blank, and quotes must be closed",
            provider=provider,
            profile=profile,
        )
    return dict(dotenv_values(stream=io.StringIO(text)))


@hookimpl
def alphacast_credential_providers() -> Iterable[CredentialProvider]:
    return [DotenvProvider()]
