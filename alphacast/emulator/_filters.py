"""``$filter`` and ``$select`` as the clients send them, compiled to SQL.

Grammar (a small OData subset)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := column op literal          op: eq ne gt ge lt le
    column     := 'quoted name' | bare-name
    literal    := 'quoted text' | number | date | null | true | false

The left side of a comparison names a column (the 0.1.9 client quotes it); the right
side is a literal. Dates compare in the canonical ISO form, so ``2020-01-01`` and
``2020-01-01T00:00:00`` mean the same day.
"""

from __future__ import annotations

import re
from typing import Any

from alphacast.emulator._model import NUMBER, Column, HttpError, key_columns, parse_date

_OPERATORS = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<paren>[()])|(?P<word>[^\s()']+))")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise HttpError(400, f"$filter: cannot read {text[position : position + 20]!r}")
        position = match.end()
        if match.group("str") is not None:
            tokens.append(("str", match.group("str")[1:-1].replace("''", "'")))
        elif match.group("paren") is not None:
            tokens.append(("paren", match.group("paren")))
        else:
            tokens.append(("word", match.group("word")))
    return tokens


class _Parser:
    def __init__(self, text: str, columns: list[Column]) -> None:
        self.tokens = _tokens(text)
        self.index = 0
        self.columns = {c.source_name: c for c in columns}
        self.params: list[Any] = []

    def peek_word(self) -> str | None:
        if self.index < len(self.tokens) and self.tokens[self.index][0] == "word":
            return self.tokens[self.index][1].lower()
        return None

    def take(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise HttpError(400, "$filter ends too early")
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> str:
        sql = self.expr()
        if self.index != len(self.tokens):
            raise HttpError(400, f"$filter: unexpected {self.tokens[self.index][1]!r}")
        return sql

    def expr(self) -> str:
        parts = [self.and_expr()]
        while self.peek_word() == "or":
            self.index += 1
            parts.append(self.and_expr())
        return " OR ".join(parts)

    def and_expr(self) -> str:
        parts = [self.unary()]
        while self.peek_word() == "and":
            self.index += 1
            parts.append(self.unary())
        return " AND ".join(parts)

    def unary(self) -> str:
        if self.peek_word() == "not":
            self.index += 1
            return f"(NOT {self.unary()})"
        kind, value = self.take()
        if kind == "paren" and value == "(":
            inner = self.expr()
            if self.take() != ("paren", ")"):
                raise HttpError(400, "$filter: missing ')'")
            return f"({inner})"
        if kind == "paren":
            raise HttpError(400, "$filter: unexpected ')'")
        return self.comparison(value)

    def comparison(self, name: str) -> str:
        column = self.columns.get(name)
        if column is None:
            raise HttpError(400, f"$filter: the dataset has no column {name!r}")
        kind, op = self.take()
        sql_op = _OPERATORS.get(op.lower()) if kind == "word" else None
        if sql_op is None:
            raise HttpError(400, f"$filter: {op!r} is not an operator (eq ne gt ge lt le)")
        kind, literal = self.take()
        if kind == "paren":
            raise HttpError(400, "$filter: a comparison needs a value")
        if kind == "word" and literal.lower() == "null":
            return f"{column.internal} IS {'NOT ' if sql_op == '!=' else ''}NULL"
        self.params.append(_literal(column, kind, literal))
        return f"{column.internal} {sql_op} ?"


def _literal(column: Column, kind: str, literal: str) -> Any:
    if column.is_date:
        try:
            return parse_date(literal, None)
        except ValueError:
            raise HttpError(400, f"$filter: {literal!r} is not a date") from None
    if column.data_type == NUMBER and not column.is_entity:
        for convert in (int, float):
            try:
                return convert(literal)
            except ValueError:
                pass
    if kind == "word" and literal.lower() in ("true", "false"):
        return literal.lower() == "true"
    return literal


def compile_filter(text: str, columns: list[Column]) -> tuple[str, list[Any]]:
    """A SQL condition and its parameters for ``text``; raises ``HttpError`` (400)."""
    if not text.strip():
        return "1", []
    parser = _Parser(text, columns)
    return parser.parse(), parser.params


def select_columns(text: str | None, columns: list[Column]) -> list[Column]:
    """The columns a download shows: the key columns always, then the value columns
    named in ``$select`` (all of them without it), in definition order."""
    keys = key_columns(columns)
    values = [c for c in columns if c not in keys]
    if text is None or not text.strip():
        return keys + values
    wanted = [name.strip() for name in text.split(",") if name.strip()]
    known = {c.source_name for c in columns}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise HttpError(400, f"$select: the dataset has no column {unknown[0]!r}")
    return keys + [c for c in values if c.source_name in wanted]
