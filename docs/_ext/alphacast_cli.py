"""A Sphinx directive that documents a command line from its argparse parser.

Usage in a page::

    .. alphacast-cli:: alphacast.cli._parser:build_parser
       :delegate: emulator=alphacast.emulator.cli:build_parser

The argument names a function returning an :class:`argparse.ArgumentParser`. Every
command and subcommand becomes a section (``alphacast auth set``) with its help, its
usage line and one ``.. option::`` entry per argument (so ``:option:`` references
work). ``:delegate: NAME=module:function`` (one per line) says that the subcommand
``NAME`` hands its arguments to another parser (``alphacast emulator`` parses its own
options): that parser is rendered in its place. A delegate that cannot be imported
is rendered as a stub with a note instead of breaking the build.

The walking and rendering live in ``cli_reference.py`` (no Sphinx needed), which
``tests/test_docs.py`` uses to check that every command reaches the page.
"""

from __future__ import annotations

import importlib

from cli_reference import command_tree, delegates_option, load_parser, render_rst
from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

__all__ = ["AlphacastCliDirective", "setup"]


class AlphacastCliDirective(SphinxDirective):
    """``.. alphacast-cli:: module:function`` renders that parser's commands."""

    required_arguments = 1
    has_content = False
    option_spec = {"delegate": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        spec = self.arguments[0]
        parser = load_parser(spec)
        tree = command_tree(parser, delegates=delegates_option(self.options.get("delegate")))
        module_name = spec.partition(":")[0]
        self.env.note_dependency(importlib.import_module(module_name).__file__ or "")
        # Titles get a fresh style context: the sections nest under the directive's.
        rst = render_rst(tree)
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(rst, source=f"<{spec}>"), container)
        return container.children


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("alphacast-cli", AlphacastCliDirective)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
