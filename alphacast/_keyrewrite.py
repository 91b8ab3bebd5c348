"""Rewriting Python so it holds no key, with libcst (``keys migrate``; see
:mod:`alphacast._keymigrate`). Imported only by ``keys migrate``: libcst is the
optional ``migrate`` extra."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from alphacast._keymigrate import CannotRewrite
from alphacast._keyscan import KEY

#: A statement to drop, until its block puts its comments on the next statement.
_REMOVED = "__alphacast_keys_migrate_removed__"


def note(profile: str) -> str:
    """What replaces a key in a comment or a notebook's text."""
    return f"<key moved to alphacast profile {profile!r}>"


def _quoted(text: str, like: str = '"') -> str:
    quote = "'" if like.lstrip("rRbBuU").startswith("'") else '"'
    return f"{quote}{text}{quote}"


def _string_value(node: cst.CSTNode) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value.strip() if isinstance(value, str) else None
    return None


def _is_alphacast(func: cst.BaseExpression) -> bool:
    return (isinstance(func, cst.Name) and func.value == "Alphacast") or (
        isinstance(func, cst.Attribute) and func.attr.value == "Alphacast"
    )


def _key_argument(call: cst.Call) -> int | None:
    """The index of the argument of ``Alphacast(...)`` that is the key, if any."""
    for index, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "api_key":
            return index
    first = call.args[0] if call.args else None
    if first is not None and first.keyword is None and not first.star:
        return 0
    return None


def _assigned(statement: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """``(NAME, value)`` of ``NAME = value`` or ``NAME: T = value``."""
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
        target = statement.targets[0].target
        if isinstance(target, cst.Name):
            return target.value, statement.value
    if isinstance(statement, cst.AnnAssign) and statement.value is not None:
        if isinstance(statement.target, cst.Name):
            return statement.target.value, statement.value
    return None


class PythonRewriter:
    """Rewrites one program given as several sources (a script, or a notebook's cells),
    for ``profiles`` (key -> profile name)."""

    def __init__(self, profiles: dict[str, str]) -> None:
        self.profiles = profiles
        #: ``NAME = "<key>"``: the key each such name holds.
        self.variables: dict[str, str] = {}
        #: names that can go: assigned once, and read only as the key of Alphacast(...)
        self.removable: set[str] = set()

    def rewrite(self, sources: Sequence[str]) -> list[str]:
        """The sources rewritten; CannotRewrite if one does not parse."""
        modules = [_parse(source) for source in sources]
        self._survey(modules, complete=True)
        return [self._transform(module) for module in modules]

    def rewrite_cells(self, sources: Sequence[str]) -> list[str]:
        """Notebook cells rewritten. A cell that does not parse (IPython magics) is
        kept as it is if it holds no key; then no assignment is removed, since that
        cell might read it."""
        modules: list[cst.Module | None] = []
        for source in sources:
            try:
                modules.append(_parse(source))
            except CannotRewrite:
                if any(key in source for key in self.profiles):
                    raise
                modules.append(None)
        parsed = [m for m in modules if m is not None]
        self._survey(parsed, complete=len(parsed) == len(modules))
        return [
            source if module is None else self._transform(module)
            for source, module in zip(sources, modules, strict=True)
        ]

    def _survey(self, modules: list[cst.Module], *, complete: bool) -> None:
        survey = _Survey(self.profiles)
        for module in modules:
            module.visit(survey)
        self.variables = survey.variables
        for name in self.variables if complete else ():
            reads = survey.names[name] - survey.assigned[name]
            if survey.assigned[name] == 1 and reads == survey.as_key[name]:
                self.removable.add(name)

    def _transform(self, module: cst.Module) -> str:
        transformer = _Transformer(self)
        result = MetadataWrapper(module).visit(transformer)
        if transformer.problems:
            raise CannotRewrite("; ".join(transformer.problems))
        if transformer.needs_import:
            from libcst.codemod import CodemodContext
            from libcst.codemod.visitors import AddImportsVisitor

            context = CodemodContext()
            AddImportsVisitor.add_needed_import(context, "alphacast", "Alphacast")
            result = AddImportsVisitor(context).transform_module(result)
        code = result.code
        try:
            compile(code, "<rewritten>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            raise CannotRewrite(
                f"the rewrite would not be valid Python (line {exc.lineno})"
            ) from None
        return code


def _parse(source: str) -> cst.Module:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        raise CannotRewrite(f"cannot be parsed as Python (line {exc.raw_line})") from None


class _Survey(cst.CSTVisitor):
    """Which names hold a key, how often each name is assigned and read, and how
    often it is read as the key of ``Alphacast(...)``."""

    def __init__(self, profiles: dict[str, str]) -> None:
        super().__init__()
        self.profiles = profiles
        self.variables: dict[str, str] = {}
        self.assigned: Counter[str] = Counter()
        self.names: Counter[str] = Counter()
        self.as_key: Counter[str] = Counter()

    def visit_Name(self, node: cst.Name) -> None:
        self.names[node.value] += 1

    def _assignment(self, node: cst.Assign | cst.AnnAssign) -> None:
        targets = (
            [t.target for t in node.targets] if isinstance(node, cst.Assign) else [node.target]
        )
        for target in targets:
            if isinstance(target, cst.Name):
                self.assigned[target.value] += 1
        found = _assigned(node)
        value = _string_value(found[1]) if found else None
        if found and value in self.profiles:
            self.variables[found[0]] = value

    def visit_Assign(self, node: cst.Assign) -> None:
        self._assignment(node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._assignment(node)

    def visit_Call(self, node: cst.Call) -> None:
        index = _key_argument(node) if _is_alphacast(node.func) else None
        if index is not None:
            value = node.args[index].value
            if isinstance(value, cst.Name):
                self.as_key[value.value] += 1


class _Transformer(cst.CSTTransformer):
    """The edits of :class:`PythonRewriter` on one module."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, rewriter: PythonRewriter) -> None:
        super().__init__()
        self.rewriter = rewriter
        self.problems: list[str] = []
        self.needs_import = False
        self.has_alphacast_name = False
        self.in_removed = False
        #: ids of the key arguments of Alphacast(...) calls (the tree holds the nodes)
        self.call_keys: set[int] = set()

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    def _profile(self, node: cst.CSTNode) -> str | None:
        value = _string_value(node)
        if value is not None:
            return self.rewriter.profiles.get(value)
        if isinstance(node, cst.Name) and node.value in self.rewriter.variables:
            return self.rewriter.profiles[self.rewriter.variables[node.value]]
        return None

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            if isinstance(alias.name, cst.Name) and alias.name.value == "Alphacast":
                self.has_alphacast_name = alias.asname is None

    def visit_Call(self, node: cst.Call) -> None:
        index = _key_argument(node) if _is_alphacast(node.func) else None
        if index is not None:
            # Replaced with the whole argument in leave_Call: no lookup, no import.
            self.call_keys.add(id(node.args[index].value))

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        index = _key_argument(original_node) if _is_alphacast(original_node.func) else None
        if index is None:
            return updated_node
        old = original_node.args[index]
        profile = self._profile(old.value)
        if profile is None:
            return updated_node
        if any(a.keyword is not None and a.keyword.value == "profile" for a in original_node.args):
            self.problems.append(
                f"Alphacast(...) at line {self._line(original_node)} names a profile too"
            )
            return updated_node
        like = old.value.value if isinstance(old.value, cst.SimpleString) else '"'
        new = cst.Arg(
            value=cst.SimpleString(_quoted(profile, like)),
            keyword=cst.Name("profile"),
            equal=cst.AssignEqual(
                whitespace_before=cst.SimpleWhitespace(""),
                whitespace_after=cst.SimpleWhitespace(""),
            ),
            comma=old.comma,
            whitespace_after_arg=old.whitespace_after_arg,
        )
        args = list(updated_node.args)
        args[index] = new
        return updated_node.with_changes(args=args)

    def leave_SimpleString(
        self, original_node: cst.SimpleString, updated_node: cst.SimpleString
    ) -> cst.BaseExpression:
        profile = self._profile(original_node)
        if profile is not None and id(original_node) in self.call_keys:
            return updated_node
        if profile is not None:
            if not self.in_removed:
                self.needs_import = self.needs_import or not self.has_alphacast_name
            return cst.parse_expression(
                f"Alphacast(profile={_quoted(profile, original_node.value)}).api_key"
            )
        value = original_node.evaluated_value
        text = value if isinstance(value, str) else value.decode("latin-1")
        if any(key in text for key in self.rewriter.profiles):
            self.problems.append(
                f"line {self._line(original_node)}: the key is part of a longer string"
            )
        return updated_node

    def leave_FormattedStringText(
        self, original_node: cst.FormattedStringText, updated_node: cst.FormattedStringText
    ) -> cst.FormattedStringText:
        if any(key in original_node.value for key in self.rewriter.profiles):
            self.problems.append(
                f"line {self._line(original_node)}: the key is part of an f-string"
            )
        return updated_node

    def leave_Comment(self, original_node: cst.Comment, updated_node: cst.Comment) -> cst.Comment:
        value = original_node.value
        for key, profile in self.rewriter.profiles.items():
            value = value.replace(key, note(profile))
        for match in KEY.finditer(value):
            if match.group() in self.rewriter.profiles:  # pragma: no cover - replaced above
                self.problems.append(f"line {self._line(original_node)}: a key in a comment")
        return updated_node.with_changes(value=value)

    def _removable(self, node: cst.SimpleStatementLine) -> bool:
        found = [_assigned(s) for s in node.body]
        return all(f is not None and f[0] in self.rewriter.removable for f in found)

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self.in_removed = self._removable(node)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine:
        self.in_removed = False
        if self._removable(original_node):
            return updated_node.with_changes(
                body=[cst.Expr(cst.Name(_REMOVED))], trailing_whitespace=cst.TrailingWhitespace()
            )
        return updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        body, carried = _drop_removed(list(updated_node.body), block=False)
        return updated_node.with_changes(body=body, footer=[*carried, *updated_node.footer])

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        body, _ = _drop_removed(list(updated_node.body), block=True)
        return updated_node.with_changes(body=body)


def _is_removed(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.Name)
        and statement.body[0].value.value == _REMOVED
    )


def _drop_removed(
    body: list[cst.BaseStatement], *, block: bool
) -> tuple[list[cst.BaseStatement], list[cst.EmptyLine]]:
    """``body`` without the removed statements; the comments above one move to the
    statement after it (or, at the end of a module, to its footer)."""
    kept: list[cst.BaseStatement] = []
    carried: list[cst.EmptyLine] = []
    for statement in body:
        if _is_removed(statement):
            assert isinstance(statement, cst.SimpleStatementLine)
            carried.extend(statement.leading_lines)
            continue
        if carried and isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
            statement = statement.with_changes(leading_lines=[*carried, *statement.leading_lines])
            carried = []
        kept.append(statement)
    if block and not kept:
        kept.append(cst.SimpleStatementLine(body=[cst.Pass()], leading_lines=carried))
        carried = []
    return kept, carried
