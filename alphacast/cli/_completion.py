"""``alphacast completion bash|zsh|fish``: shell completion, by argcomplete.

argcomplete (rather than shtab, which has no fish support) writes the shell's side;
that script calls ``alphacast`` back on every Tab with ``_ARGCOMPLETE`` set, and
:func:`complete` answers from the real parser: commands, options, the writable
provider names for ``--store`` and the profile names the stores can list without a
secret (:func:`~alphacast.cli._profiles.known_profiles`). Nothing else is printed:
no key, and no word the user typed that looks like one.
"""

from __future__ import annotations

import argparse
from typing import Any

SHELLS = ("bash", "zsh", "fish")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "completion",
        help="print the shell completion script (bash, zsh or fish)",
        description="Print a completion script for SHELL. Load it with "
        "`source <(alphacast completion bash)` (bash, in ~/.bashrc), "
        "`source <(alphacast completion zsh)` (zsh, after compinit, in ~/.zshrc) or "
        "`alphacast completion fish > ~/.config/fish/completions/alphacast.fish`.",
    )
    p.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    p.set_defaults(handler=cmd_completion)


def cmd_completion(args: argparse.Namespace) -> int:
    from argcomplete.shell_integration import shellcode

    print(shellcode(["alphacast"], shell=args.shell), end="")
    return 0


def profile_names(prefix: str, **_: Any) -> list[str]:
    """Profiles any listable store names (never a key-shaped name)."""
    from alphacast.cli._profiles import known_profiles
    from alphacast.redact import looks_like_key

    try:
        names = known_profiles().names()
    except Exception:  # noqa: BLE001 - a failing store must not break the shell's Tab
        return []
    return [n for n in names if n.startswith(prefix) and not looks_like_key(n)]


def store_names(prefix: str, **_: Any) -> list[str]:
    """The providers that can hold a key (``auth set/delete/login --store``)."""
    from alphacast import plugins
    from alphacast._credentials import WritableCredentialProvider

    try:
        found = plugins.registry().providers
    except Exception:  # noqa: BLE001 - as above
        return []
    return sorted(
        name
        for name, provider in found.items()
        if name.startswith(prefix) and isinstance(provider, WritableCredentialProvider)
    )


def _attach(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _attach(child)
        elif action.dest == "profile":
            action.completer = profile_names  # type: ignore[attr-defined]
        elif action.dest == "store":
            action.completer = store_names  # type: ignore[attr-defined]


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request (``_ARGCOMPLETE`` is set) and exit."""
    import argcomplete

    _attach(parser)
    # Options are offered once a '-' is typed, so `alphacast <Tab>` lists the commands.
    argcomplete.autocomplete(parser, always_complete_options=False)
