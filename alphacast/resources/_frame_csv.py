"""A DataFrame as CSV for an upload, in row chunks: pyarrow's writer when it can, else pandas.

pandas' ``to_csv`` formats every float through Python (about 1 s per 20 MB on one
core); pyarrow's CSV writer does it in C++, about seven times faster. It is used
when pyarrow is installed (``pip install 'alphacast[fast]'``) and every column is
of a type whose text the service reads as it reads pandas' (numbers, strings,
dates at midnight); anything else (booleans, times of day, categories, objects
that are not strings) goes through pandas, as before.

The bytes are pandas' bytes: the header is pandas' own; floats are written by
pyarrow from 1e-4 to 1e10 (where its digits and Python's repr agree) with repr's
``.0`` on whole numbers, and by repr outside that range; a string pandas would
quote (one holding a comma, a quote or a line break) is quoted here as pandas does
(in double quotes, inner quotes doubled). pyarrow's writer refuses such characters
unquoted and quotes every string when asked to quote, so they pass through it as
stand-in control characters (``\x01``-``\x04``) put back in the written bytes; a
chunk whose strings hold those control characters themselves is written by pandas.
Lines end in ``\n`` on every platform, as pyarrow writes them: pandas' default is
``os.linesep`` (``\r\n`` on Windows), which would mix both in one upload.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

__all__ = ["frame_csv_chunks"]

#: What makes pandas quote a string (csv.QUOTE_MINIMAL with "," and "\n"); a
#: carriage return too where the csv module quotes it (see ``_special``).
_SPECIAL = r'[,"\n]'
#: Characters that stand in for the structural ones while pyarrow writes.
_STAND_IN_FOR = {",": "\x01", '"': "\x02", "\n": "\x03", "\r": "\x04"}
_STAND_INS = r"[\x01-\x04]"
_ATTENTION = r'[,"\r\n\x01-\x04]'
_PUT_BACK = bytes.maketrans(b"\x01\x02\x03\x04", b',"\n\r')


@functools.cache
def _special() -> str:
    """The characters that make pandas quote a string, asked of pandas once: whether
    a lone carriage return does depends on the Python version's csv module."""
    import pandas as pd

    probe = pd.DataFrame({"a": ["\r"], "b": [1]}).to_csv(index=False, lineterminator="\n")
    return r'[,"\r\n]' if '"\r"' in probe else _SPECIAL


def _pandas_chunks(df: Any, index: bool, rows: int) -> Iterator[str]:
    for start in range(0, len(df), rows):
        yield df.iloc[start : start + rows].to_csv(
            index=index, header=start == 0, lineterminator="\n"
        )


def _arrow_columns(df: Any, index: bool) -> list[tuple[Any, str]] | None:
    """The columns (index levels first), each with its kind (``int``, ``float``,
    ``date``, ``string``), or ``None`` when a column's text could differ from pandas'."""
    import pandas as pd

    api = pd.api.types
    columns = [df.index.get_level_values(i) for i in range(df.index.nlevels)] if index else []
    columns += [df.iloc[:, i] for i in range(df.shape[1])]
    typed: list[tuple[Any, str]] = []
    for column in columns:
        dtype = column.dtype
        if api.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
            return None
        if api.is_integer_dtype(dtype):
            typed.append((column, "int"))
        elif api.is_float_dtype(dtype) and dtype == "float64":  # float32 prints otherwise
            typed.append((column, "float"))
        elif api.is_datetime64_dtype(dtype):  # naive only: aware ones are not
            stamps = pd.Series(column)
            if not (stamps.isna() | (stamps.dt.normalize() == stamps)).all():
                return None  # a time of day: pandas and pyarrow write it differently
            typed.append((column, "date"))
        elif api.is_string_dtype(dtype) and api.infer_dtype(column, skipna=True) in (
            "string",
            "empty",
        ):
            typed.append((column, "string"))
        else:
            return None
    # One column: the csv module quotes a row's lone empty field (""), pyarrow does not.
    return typed if len(typed) > 1 else None


def _arrow_chunks(
    df: Any, index: bool, rows: int, typed: list[tuple[Any, str]]
) -> Iterator[str | bytes]:
    import io

    import pyarrow as pa  # type: ignore[import-untyped,import-not-found,unused-ignore]
    import pyarrow.compute as pc  # type: ignore[import-untyped,import-not-found,unused-ignore]
    import pyarrow.csv as pacsv  # type: ignore[import-untyped,import-not-found,unused-ignore]

    names = [f"c{i}" for i in range(len(typed))]
    header = df.iloc[:0].to_csv(index=index, lineterminator="\n").encode("utf-8")
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    # The system allocator gives freed chunks back; pyarrow's default (mimalloc)
    # keeps them, which tripled the upload's peak memory growth (48 MB against 15).
    pool = pa.system_memory_pool()

    def arrow_text(values: Any, kind: str, marked: list[bool]) -> Any:
        """The column as pyarrow writes it the way pandas does, or ``None``; sets
        ``marked[0]`` when it holds stand-ins to put back."""
        array = pa.array(values, from_pandas=True, memory_pool=pool)
        if kind == "date":
            return pc.cast(array, pa.date32(), memory_pool=pool)
        if kind == "float":
            # Python's repr and pyarrow agree on the digits from 1e-4 to 1e10, except
            # that repr ends a whole number with ".0"; the few values outside that
            # range are written by repr itself.
            text = pc.cast(array, pa.string(), memory_pool=pool)
            whole = pc.match_substring_regex(text, r"^-?[0-9]+$", memory_pool=pool)
            joined = pc.binary_join_element_wise(text, ".0", "", memory_pool=pool)
            text = pc.if_else(whole, joined, text, memory_pool=pool)
            size = pc.abs(array, memory_pool=pool)
            odd = pc.or_(
                pc.less(size, 1e-4, memory_pool=pool),
                pc.greater_equal(size, 1e10, memory_pool=pool),
                memory_pool=pool,
            )
            other = pc.fill_null(
                pc.and_(odd, pc.not_equal(size, 0, memory_pool=pool), memory_pool=pool), False
            )
            if pc.any(other).as_py():
                written = pa.array([repr(v) for v in pc.filter(array, other).to_pylist()])
                text = pc.replace_with_mask(text, other, written, memory_pool=pool)
            return text
        if kind == "string":
            if not pc.any(pc.match_substring_regex(array, _ATTENTION, memory_pool=pool)).as_py():
                return array
            if pc.any(pc.match_substring_regex(array, _STAND_INS, memory_pool=pool)).as_py():
                return None  # the stand-ins would be ambiguous: pandas writes this chunk
            special = pc.match_substring_regex(array, _special(), memory_pool=pool)
            doubled = pc.replace_substring(array, '"', '""', memory_pool=pool)
            quote, empty = pa.scalar('"', array.type), pa.scalar("", array.type)
            quoted = pc.binary_join_element_wise(quote, doubled, quote, empty, memory_pool=pool)
            text = pc.if_else(special, quoted, array, memory_pool=pool)
            for char, stand_in in _STAND_IN_FOR.items():
                text = pc.replace_substring(text, char, stand_in, memory_pool=pool)
            marked[0] = True
            return text
        return array

    for start in range(0, len(df), rows):
        arrays = []
        marked = [False]
        for column, kind in typed:
            array = arrow_text(column[start : start + rows], kind, marked)
            if array is None:
                break
            arrays.append(array)
        else:
            out = io.BytesIO()
            table = pa.Table.from_arrays(arrays, names=names)
            pacsv.write_csv(table, out, options, memory_pool=pool)
            written = out.getvalue()
            if marked[0]:
                written = written.translate(_PUT_BACK)
            yield header + written if start == 0 else written
            continue
        yield df.iloc[start : start + rows].to_csv(
            index=index, header=start == 0, lineterminator="\n"
        )


def frame_csv_chunks(
    df: Any, index: bool, rows: int, engine: str | None = None
) -> Iterator[str | bytes]:
    """``df`` as CSV (header first) in chunks of ``rows`` rows. ``engine`` forces
    ``"pandas"`` or ``"pyarrow"``; by default pyarrow when installed and able."""
    rows = max(1, rows)
    if engine != "pandas":
        try:
            import pyarrow  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: F401
        except ImportError:
            if engine == "pyarrow":
                raise
        else:
            typed = _arrow_columns(df, index)
            if typed is not None:
                return _arrow_chunks(df, index, rows, typed)
            if engine == "pyarrow":
                raise ValueError("this DataFrame has a column pyarrow would write differently")
    return _pandas_chunks(df, index, rows)
