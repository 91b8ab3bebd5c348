"""``shared-file``: ``~/.alphacast/credentials``, one INI section per profile.

The same shape as AWS's ``~/.aws/credentials``::

    [default]
    api_key = ak_...

    [prod]
    api_key = ak_...

Read as botocore reads ``~/.aws/credentials`` (``alphacast.config.parse_ini``):
section ``[NAME]`` is profile ``NAME``, exactly as written.

``ALPHACAST_SHARED_CREDENTIALS_FILE`` moves the file. ``alphacast auth set
--store shared-file`` writes it: atomically, under a lock, mode 0600, changing
only the ``api_key`` line of one section so other sections and comments stay.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from alphacast import Credential, CredentialError, WritableCredentialProvider
from alphacast.config import config_dir, expand_path, parse_ini
from alphacast.hookspecs import hookimpl
from alphacast.secrets import (
    check_profile_name,
    display_path,
    read_secret_file,
    update_secret_file,
    validate_key,
)

if TYPE_CHECKING:  # configparser is imported when the file is read
    import configparser

FILE_VARIABLE = "ALPHACAST_SHARED_CREDENTIALS_FILE"
OPTION = "api_key"

_INLINE_COMMENT = re.compile(r"\S\s+[#;]")
_SECTION_LINE = re.compile(r"\[(?P<name>.+)\]")
_OPTION_LINE = re.compile(r"^(?P<name>[^=:\s][^=:]*?)\s*[=:]")


def shared_file_path() -> Path:
    """``ALPHACAST_SHARED_CREDENTIALS_FILE`` (``$VAR``, ``${VAR}`` and ``~``
    expanded) or ``~/.alphacast/credentials``."""
    override = os.environ.get(FILE_VARIABLE)
    return expand_path(override) if override else config_dir() / "credentials"


def parse_credentials(
    text: str, *, shown: str, provider: str = "shared-file", profile: str | None = None
) -> configparser.ConfigParser:
    """Parse the credentials file; errors name the line, never its content."""
    import configparser

    fix = "fix the file: sections look like [default] or [NAME], then api_key = <key>"
    try:
        parser = parse_ini(text, source=shown)
    except configparser.MissingSectionHeaderError as exc:
        problem = f"line {exc.lineno} is outside any [section]"
    except configparser.DuplicateSectionError as exc:
        problem = f"line {exc.lineno} repeats a section"
    except configparser.DuplicateOptionError as exc:
        problem = f"line {exc.lineno} repeats a setting in its section"
    except configparser.ParsingError as exc:
        lines = ", ".join(str(lineno) for lineno, _ in exc.errors[:5])
        problem = f"line {lines} cannot be parsed"
    except configparser.Error as exc:
        # parse_ini's own errors name a setting and a section, never a value.
        problem = (
            str(exc)
            if type(exc) is configparser.Error
            else f"it is malformed ({type(exc).__name__})"
        )
    else:
        return parser
    raise CredentialError(
        f"{shown} is not a valid credentials file: {problem}; {fix}",
        provider=provider,
        profile=profile,
    )


class SharedFileProvider(WritableCredentialProvider):
    """Reads and writes the shared credentials file."""

    name = "shared-file"
    priority = 40

    def _read(self, path: Path, profile: str | None) -> configparser.ConfigParser | None:
        raw = read_secret_file(path, provider=self.name, profile=profile)
        if raw is None:
            return None
        return parse_credentials(
            _decode(raw, display_path(path), profile),
            shown=display_path(path),
            provider=self.name,
            profile=profile,
        )

    def resolve(self, profile: str) -> Credential | None:
        path = shared_file_path()
        parser = self._read(path, profile)
        if parser is None or not parser.has_section(profile):
            return None
        shown = display_path(path)
        value = parser.get(profile, OPTION, fallback=None)
        if value is None:
            raise CredentialError(
                f"section [{profile}] of {shown} has no {OPTION}; add a line "
                f"`{OPTION} = <your key>` to it, or remove the section",
                provider=self.name,
                profile=profile,
            )
        if _INLINE_COMMENT.search(value):
            # As in botocore, `#` or `;` after a value is part of it, not a comment.
            raise CredentialError(
                f"the {OPTION} of section [{profile}] of {shown} has text after the key "
                "(inline comments are not supported); put the comment on a line of its "
                "own, starting with # or ;",
                provider=self.name,
                profile=profile,
            )
        source = f"{shown} [{profile}]"
        return Credential(value, provider=self.name, source=source, profile=profile)

    def describe_miss(self, profile: str) -> str:
        path = shared_file_path()
        if not path.exists():
            return f"{display_path(path)} does not exist"
        return f"no [{profile}] section in {display_path(path)}"

    def profiles(self) -> list[str]:
        parser = self._read(shared_file_path(), None)
        return [] if parser is None else parser.sections()

    def store(self, profile: str, api_key: str) -> str:
        path = shared_file_path()
        shown = display_path(path)
        check_profile_name(profile, provider=self.name)
        key = validate_key(api_key, provider=self.name, source="the key to store", profile=profile)

        def change(current: bytes | None) -> bytes:
            text = "" if current is None else _decode(current, shown, profile)
            return _rewrite(text, profile, key, shown=shown).encode("utf-8")

        update_secret_file(path, change, provider=self.name, profile=profile)
        return f"{shown} [{profile}]"

    def delete(self, profile: str) -> bool:
        path = shared_file_path()
        shown = display_path(path)
        found = False

        def change(current: bytes | None) -> bytes:
            nonlocal found
            text = "" if current is None else _decode(current, shown, profile)
            parser = parse_credentials(text, shown=shown, provider=self.name, profile=profile)
            found = parser.has_section(profile) and parser.has_option(profile, OPTION)
            return (_rewrite(text, profile, None, shown=shown) if found else text).encode()

        if not path.exists():
            return False
        update_secret_file(path, change, provider=self.name, profile=profile)
        return found


def _decode(raw: bytes, shown: str, profile: str | None) -> str:
    """The file's text; a byte-order mark an editor put first is not part of it."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CredentialError(
            f"{shown} is not UTF-8 text; rewrite it as an INI file",
            provider="shared-file",
            profile=profile,
        ) from None


def _sections(lines: list[str]) -> list[tuple[str | None, int, int]]:
    """``(section name, first line, end line)`` spans; the preamble has name None."""
    spans: list[tuple[str | None, int, int]] = []
    name: str | None = None
    start = 0
    for index, line in enumerate(lines):
        match = _SECTION_LINE.match(line.strip())
        if match and not line[:1].isspace():
            spans.append((name, start, index))
            name, start = match["name"], index
    spans.append((name, start, len(lines)))
    return spans


def _option_span(lines: list[str], start: int, end: int) -> tuple[int, int] | None:
    """The lines of ``api_key`` (with continuation lines) within a section."""
    for index in range(start + 1, end):
        match = _OPTION_LINE.match(lines[index])
        if match and match["name"].strip().lower() == OPTION:
            stop = index + 1
            while stop < end and lines[stop][:1].isspace() and lines[stop].strip():
                stop += 1
            return index, stop
    return None


def _edit(text: str, profile: str, key: str | None) -> list[str]:
    """``text`` as lines with ``profile``'s key set to ``key`` (or removed if None)."""
    # Lines as configparser sees them (universal newlines, not str.splitlines, which
    # also splits at form feeds and the like), each keeping its own ending.
    lines = io.StringIO(text, newline="").readlines()
    eol = "\r\n" if "\r\n" in text else "\r" if "\r" in text else "\n"
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += eol
    new_line = f"{OPTION} = {key}{eol}"
    for name, start, end in _sections(lines):
        if name != profile:
            continue
        span = _option_span(lines, start, end)
        if key is not None:
            if span is None:
                lines.insert(start + 1, new_line)
            else:
                lines[span[0] : span[1]] = [new_line]
        elif span is not None:
            del lines[span[0] : span[1]]
            rest = lines[start + 1 : end - (span[1] - span[0])]
            if not any(line.strip() and line.strip()[0] not in "#;" for line in rest):
                del lines[start : end - (span[1] - span[0])]
        return lines
    if key is not None:
        if lines and lines[-1].strip():
            lines.append(eol)
        lines += [f"[{profile}]{eol}", new_line]
    return lines


def _rewrite(text: str, profile: str, key: str | None, *, shown: str) -> str:
    """Change one profile's key, keeping every other line of the file as it was.

    The result is parsed again and compared with what a full rewrite would hold;
    if a line-level edit cannot be trusted (odd indentation, continuation lines),
    the file is rewritten by configparser instead, which keeps every value but
    drops comments.
    """
    expected = parse_credentials(text, shown=shown)
    if key is None:
        if expected.has_section(profile):
            expected.remove_option(profile, OPTION)
            if not expected.options(profile):
                expected.remove_section(profile)
    else:
        if not expected.has_section(profile):
            expected.add_section(profile)
        expected.set(profile, OPTION, key)
    edited = "".join(_edit(text, profile, key))
    try:
        if _as_dict(parse_credentials(edited, shown=shown)) == _as_dict(expected):
            return edited
    except CredentialError:
        pass
    buffer = io.StringIO()
    expected.write(buffer)
    return buffer.getvalue()


def _as_dict(parser: configparser.ConfigParser) -> dict[str, dict[str, str]]:
    return {name: dict(parser.items(name)) for name in parser.sections()}


@hookimpl
def alphacast_credential_providers() -> Iterable[WritableCredentialProvider]:
    return [SharedFileProvider()]
