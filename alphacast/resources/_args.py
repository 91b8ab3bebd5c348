"""Arguments in the forms 0.1.9 scripts pass them, read with the meaning 0.1.9 gave them.

0.1.9 treated its flags in two ways, and a script's ``"False"`` meant opposite
things under each:

- *sent* flags (``deleteMissingFromDB``, ``onConflictUpdateDB``,
  ``acceptNewColumns``) went into the query string as ``str(value)``, and the
  service reads that text: ``"False"``, ``False`` and ``0`` all mean false;
- *tested* flags (``uploadIndex``, ``returnIdIfExists``, ``search_all``,
  ``exclude_deprecated``) were only tested for truth: any non-empty string,
  ``"False"`` included, meant true.

Where the value's text and 0.1.9's effect agree the value is accepted; where they
disagree, or the service would not read it (``2``, ``"maybe"``), a ``ValueError``
is raised before anything is sent, so no data is deleted or overwritten by a guess.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from alphacast.redact import redact_text

_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def _shown(value: object) -> str:
    text = repr(value)
    return redact_text(text if len(text) <= 40 else text[:37] + "...")


def _plain_bool(value: object) -> bool | None:
    """``value`` as a bool if it is one (numpy's included) or the integer 0 or 1."""
    if isinstance(value, bool) or (
        type(value).__module__ == "numpy" and type(value).__name__ in ("bool_", "bool")
    ):
        return bool(value)
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    return None


def sent_flag(name: str, value: object, *, allow_none: bool = False) -> bool:
    """A flag 0.1.9 sent as text: ``True``/``False``, 0/1, or text the service reads.

    ``None`` means false only where it is the parameter's default (``allow_none``).
    """
    if value is None and allow_none:
        return False
    plain = _plain_bool(value)
    if plain is not None:
        return plain
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(
        f"{name}={_shown(value)} is ambiguous: pass True or False "
        "(the strings 'True'/'False' and the integers 1/0 are read the same way)"
    )


def tested_flag(name: str, value: object) -> bool:
    """A flag 0.1.9 only tested for truth (``if value:``)."""
    if value is None:
        return False
    plain = _plain_bool(value)
    if plain is not None:
        return plain
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        raise ValueError(
            f"{name}={_shown(value)} is ambiguous: alphacast 0.1.9 treated every non-empty "
            "string, this one included, as True; pass True or False"
        )
    raise ValueError(f"{name}={_shown(value)} is ambiguous: pass True or False")


def column_names(name: str, value: str | Iterable[str] | None) -> list[str] | None:
    """A list of column names; a string is one name, never a list of its characters.

    A string with a comma is refused: it could be one name or several.
    """
    if value is None:
        return None
    if isinstance(value, str):
        if "," in value:
            raise ValueError(f"{name}={_shown(value)} is ambiguous: pass a list of column names")
        return [value]
    return list(value)


def values_of(value: Any) -> list[Any]:
    """The values of one ``filterEntities`` entry; a string is one value."""
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        return [value]
    return list(value)
