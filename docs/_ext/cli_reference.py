"""Render a command line's reference from its argparse parser, as reStructuredText.

Plain functions and the standard library only, so the test suite can check the
reference without Sphinx (``tests/test_docs.py``); the Sphinx directive that puts
the result on a page is ``alphacast_cli.py``.

argparse has no public API to list subparsers and arguments, so this reads
``parser._actions`` as every argparse documentation tool does.
"""

from __future__ import annotations

import argparse
import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

__all__ = ["Command", "command_tree", "delegates_option", "load_parser", "render_rst"]

_HEADING = ("=", "-", "~", "^", '"')


@dataclass
class Command:
    """One command: its words (``["alphacast", "auth", "set"]``) and parser."""

    words: list[str]
    parser: argparse.ArgumentParser
    help: str = ""
    delegated_from: str | None = None
    missing_delegate: str | None = None
    children: list[Command] = field(default_factory=list)

    @property
    def path(self) -> str:
        return " ".join(self.words)

    def walk(self) -> Iterator[Command]:
        yield self
        for child in self.children:
            yield from child.walk()


def load_parser(spec: str) -> argparse.ArgumentParser:
    """``"package.module:function"`` -> the parser that function returns."""
    module_name, _, function = spec.partition(":")
    factory: Callable[[], argparse.ArgumentParser] = getattr(
        importlib.import_module(module_name), function or "build_parser"
    )
    return factory()


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:  # type: ignore[type-arg]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def command_tree(
    parser: argparse.ArgumentParser,
    *,
    words: list[str] | None = None,
    delegates: Mapping[str, str] | None = None,
    help_text: str = "",
) -> Command:
    """The command of ``parser`` and, recursively, its subcommands.

    ``delegates`` maps a subcommand path (``"emulator"``, ``"auth set"``) to the
    ``module:function`` of the parser that really parses its arguments.
    """
    delegates = delegates or {}
    words = words or [parser.prog]
    command = Command(list(words), parser, help_text)
    sub = _subparsers(parser)
    if sub is None:
        return command
    helps = {action.dest: action.help or "" for action in sub._choices_actions}
    for name, child in sub.choices.items():
        child_words = [*words, name]
        relative = " ".join(child_words[1:])
        spec = delegates.get(relative)
        if spec is not None:
            try:
                delegate = load_parser(spec)
            except ImportError as exc:
                node = command_tree(child, words=child_words, help_text=helps.get(name, ""))
                node.missing_delegate = f"{spec} ({exc})"
            else:
                node = command_tree(
                    delegate, words=child_words, delegates=None, help_text=helps.get(name, "")
                )
                node.delegated_from = spec
        else:
            node = command_tree(
                child, words=child_words, delegates=delegates, help_text=helps.get(name, "")
            )
        command.children.append(node)
    return command


def _option_signature(action: argparse.Action) -> str:
    if action.option_strings:
        if action.nargs == 0:
            return ", ".join(action.option_strings)
        metavar = action.metavar or action.dest.upper()
        if isinstance(metavar, tuple):
            metavar = " ".join(metavar)
        return ", ".join(f"{opt} {metavar}" for opt in action.option_strings)
    metavar = action.metavar or action.dest
    return str(metavar if not isinstance(metavar, tuple) else " ".join(metavar))


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`").replace("|", "\\|")
    # A word ending in "_" ("ak_...") is a hyperlink reference to reStructuredText.
    return re.sub(r"(?<=\w)_(?!\w)", r"\\_", text)


#: An option name (``--fail-status``, ``-o``) or a lone ``--`` in a help text.
_OPTION_WORD = re.compile(r"(?<![\w`-])(--?[A-Za-z][\w-]*(?:=[^\s,;)`]*)?|--)(?![\w`=-])")


def _literal_options(text: str) -> str:
    """Mark option names in escaped help text as literals, so they show exactly as
    typed: in running text, docutils' smart quotes turn ``--`` into an en dash."""
    return _OPTION_WORD.sub(lambda found: f"``{found[1]}``", text)


def _help(action: argparse.Action, parser: argparse.ArgumentParser) -> str:
    text = action.help or ""
    if text == argparse.SUPPRESS:
        return ""
    if "%" in text:
        params = dict(vars(action), prog=parser.prog)
        params = {k: (v.__name__ if hasattr(v, "__name__") else v) for k, v in params.items()}
        try:
            text = text % params
        except (KeyError, TypeError, ValueError):
            pass
    extra = []
    if action.choices and not isinstance(action, argparse._SubParsersAction):
        extra.append("one of " + ", ".join(f"``{c}``" for c in action.choices))
    if action.option_strings and action.required:
        extra.append("required")
    if isinstance(action, argparse._AppendAction) and "repeat" not in text:
        extra.append("may be repeated")
    text = _sentence(_literal_options(_escape(text)))
    if extra:
        text = (text + " " if text else "") + "(" + "; ".join(extra) + ")"
    return text


def _sentence(text: str) -> str:
    """argparse help reads "show a bar"; a page reads "Show a bar"."""
    return text[:1].upper() + text[1:] if text else text


def _heading(text: str, level: int) -> list[str]:
    return [text, _HEADING[level] * len(text), ""]


def _description(parser: argparse.ArgumentParser) -> str:
    return _literal_options(_escape(parser.description or ""))


def render_rst(command: Command, *, level: int = 0) -> list[str]:
    """reStructuredText for ``command`` and its subcommands, sections from ``level``."""
    lines = [f".. _cli-{'-'.join(command.words)}:", ""]
    lines += _heading(command.path, level)
    for paragraph in (
        _sentence(_literal_options(_escape(command.help))),
        _description(command.parser),
    ):
        if paragraph and paragraph not in lines:
            lines += [paragraph, ""]
    if command.missing_delegate:
        lines += [
            ".. note::",
            "",
            f"   This command parses its own options with ``{command.missing_delegate}``,",
            "   which could not be imported when these pages were built.",
            "",
        ]
    usage = command.parser.format_usage().strip().removeprefix("usage:").strip()
    usage = " ".join(usage.split())
    if command.parser.prog != command.path:
        # A delegated parser knows itself under its own prog; show the full command.
        usage = usage.replace(command.parser.prog, command.path, 1)
    lines += ["Usage:", "", ".. code-block:: text", "", f"   {usage}", ""]
    lines += [f".. program:: {command.path}", ""]
    for action in command.parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        if action.nargs == argparse.REMAINDER:
            lines += [
                f"Every argument after ``{command.path}`` is passed on: "
                f"{_help(action, command.parser)}.",
                "",
            ]
            continue
        lines += [f".. option:: {_option_signature(action)}", ""]
        described = _help(action, command.parser)
        lines += [f"   {described}" if described else "   (no description)", ""]
        if action.option_strings and action.nargs != 0 and action.default not in (None, [], False):
            if action.default is not argparse.SUPPRESS and "%(default)" not in (action.help or ""):
                lines += [f"   Default: ``{action.default}``.", ""]
    for child in command.children:
        lines += render_rst(child, level=min(level + 1, len(_HEADING) - 1))
    return lines


def delegates_option(text: str | None) -> dict[str, str]:
    """The ``:delegate:`` option's ``NAME=module:function`` lines as a dict."""
    found: dict[str, str] = {}
    for line in (text or "").splitlines():
        if line.strip():
            name, _, spec = line.partition("=")
            found[name.strip()] = spec.strip()
    return found
