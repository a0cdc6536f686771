"""User math channels: ``name = expression`` lines, as SQL or as polars expressions.

Both are evaluated without running user Python: an SQL expression (``speed_kmh / 3.6``,
``CASE WHEN brake > 0.1 THEN 1 ELSE 0 END``) is checked node by node against a whitelist
(sqlglot) and turned into a polars expression by ``pl.sql_expr``; a polars expression
(``pl.col("speed_kmh").diff() * 50``) is parsed with :mod:`ast` and built by a small interpreter
that only knows ``pl.col``, ``pl.lit``, ``pl.when`` and a whitelist of expression methods. We
write the interpreter because no library evaluates polars expression text safely; ``eval`` of
user text is what it avoids.

Channels are computed per lap (``over`` column), so ``diff`` or ``rolling_mean`` never mix laps.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import polars as pl
import sqlglot
from polars.expr.whenthen import ChainedWhen, When
from sqlglot import expressions as sqx

__all__ = ["MathChannel", "MathChannelError", "add_math_channels", "parse_math_channels"]

MAX_EXPRESSION = 400
MAX_NODES = 120
MAX_WINDOW = 10_000
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")

_SQL_NODES: frozenset[type[sqx.Expression]] = frozenset(
    {
        sqx.Column, sqx.Identifier, sqx.Literal, sqx.Paren, sqx.Neg, sqx.Boolean, sqx.Null,
        sqx.Add, sqx.Sub, sqx.Mul, sqx.Div, sqx.Mod, sqx.Pow,
        sqx.EQ, sqx.NEQ, sqx.GT, sqx.GTE, sqx.LT, sqx.LTE, sqx.And, sqx.Or, sqx.Not,
        sqx.Case, sqx.If, sqx.Abs, sqx.Sqrt, sqx.Ln, sqx.Log, sqx.Exp, sqx.Round, sqx.Floor,
        sqx.Ceil, sqx.Greatest, sqx.Least, sqx.Coalesce, sqx.Sign, sqx.Anonymous,
    }
)  # fmt: skip
_SQL_FUNCTIONS = frozenset({"sin", "cos", "tan", "asin", "acos", "atan", "atan2", "degrees",
                            "radians", "power", "pow"})  # fmt: skip

_EXPR_METHODS = frozenset(
    {
        "abs", "sqrt", "pow", "exp", "log", "log10", "sin", "cos", "tan", "arcsin", "arccos",
        "arctan", "sign", "round", "floor", "ceil", "clip", "diff", "shift", "cum_sum",
        "cum_max", "cum_min", "rolling_mean", "rolling_median", "rolling_max", "rolling_min",
        "rolling_sum", "rolling_std", "fill_null", "fill_nan", "forward_fill", "backward_fill",
        "interpolate", "is_null", "is_between", "mean", "median", "max", "min", "sum", "std",
        "degrees", "radians", "then", "otherwise", "when",
    }
)  # fmt: skip
_PL_FUNCTIONS = frozenset(
    {"col", "lit", "when", "max_horizontal", "min_horizontal", "sum_horizontal"}
)
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: lambda a, b: a**b,
    ast.BitAnd: lambda a, b: a & b,
    ast.BitOr: lambda a, b: a | b,
}
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}


class MathChannelError(ValueError):
    """A math channel that cannot be used; the message says which line and why."""


@dataclass(frozen=True)
class MathChannel:
    name: str
    expression: str
    kind: Literal["sql", "polars"]


def parse_math_channels(text: str) -> list[MathChannel]:
    """``name = expression`` per line (blank lines and ``#`` comment lines ignored); an expression
    that mentions ``pl.`` is a polars expression, else SQL.

    Raises:
        MathChannelError: a malformed line (with its number).
    """
    channels: list[MathChannel] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, expression = line.partition("=")
        name, expression = name.strip(), expression.strip()
        if not sep or not _NAME.match(name) or not expression:
            raise MathChannelError(f"line {number}: write `name = expression`")
        if len(expression) > MAX_EXPRESSION:
            raise MathChannelError(f"line {number}: longer than {MAX_EXPRESSION} characters")
        kind: Literal["sql", "polars"] = "polars" if "pl." in expression else "sql"
        channels.append(MathChannel(name, expression, kind))
    return channels


def _check_sql(expression: str, columns: set[str]) -> None:
    try:
        tree = sqlglot.parse_one(expression, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise MathChannelError(f"not an SQL expression: {exc}") from exc
    nodes = list(tree.walk())
    if len(nodes) > MAX_NODES:
        raise MathChannelError("expression too long")
    for node in nodes:
        if type(node) not in _SQL_NODES:
            raise MathChannelError(f"not allowed in a math channel: {node.key.upper()}")
        if isinstance(node, sqx.Anonymous) and node.name.lower() not in _SQL_FUNCTIONS:
            raise MathChannelError(f"unknown function {node.name}")
        if isinstance(node, sqx.Column) and (node.table or node.name not in columns):
            raise MathChannelError(f"unknown channel {node.sql()}")


class _Builder:
    """Builds a polars expression from a parsed polars-expression text (whitelist only)."""

    def __init__(self, columns: set[str]) -> None:
        self.columns = columns
        self.nodes = 0

    def build(self, node: ast.AST) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise MathChannelError("expression too long")
        match node:
            case ast.Constant(value=value) if isinstance(value, int | float | str | bool):
                return value
            case ast.Constant(value=None):
                return None
            case ast.UnaryOp(op=ast.USub(), operand=operand):
                return -self.build(operand)
            case ast.UnaryOp(op=ast.Invert(), operand=operand):
                return ~self.build(operand)
            case ast.BinOp(left=left, op=op, right=right) if type(op) in _BINARY:
                return _BINARY[type(op)](self.build(left), self.build(right))
            case ast.Compare(left=left, ops=[op], comparators=[right]) if type(op) in _COMPARE:
                return _COMPARE[type(op)](self.build(left), self.build(right))
            case ast.Call(func=func, args=args, keywords=keywords):
                return self._call(func, args, keywords)
        raise MathChannelError(f"not allowed in a math channel: {type(node).__name__}")

    def _call(self, func: ast.expr, args: list[ast.expr], keywords: list[ast.keyword]) -> Any:
        values = [self.build(a) for a in args]
        options = {k.arg: self.build(k.value) for k in keywords if k.arg}
        if len(options) != len(keywords):
            raise MathChannelError("** arguments are not allowed")
        for key in ("window_size", "n"):
            size = options.get(key, values[0] if values and key == "window_size" else None)
            if isinstance(size, int) and abs(size) > MAX_WINDOW:
                raise MathChannelError(f"windows and shifts are limited to {MAX_WINDOW} samples")
        match func:
            case ast.Attribute(value=ast.Name(id="pl"), attr=name) if name in _PL_FUNCTIONS:
                if name == "col" and (len(values) != 1 or values[0] not in self.columns):
                    raise MathChannelError(f"unknown channel {values[0] if values else ''!r}")
                return getattr(pl, name)(*values, **options)
            case ast.Attribute(value=target, attr=name) if name in _EXPR_METHODS:
                obj = self.build(target)
                if not isinstance(obj, pl.Expr | When | ChainedWhen):
                    raise MathChannelError(f".{name}() only applies to expressions")
                return getattr(obj, name)(*values, **options)
        raise MathChannelError(f"not allowed in a math channel: {ast.unparse(func)}")


def compile_channel(channel: MathChannel, columns: Sequence[str]) -> pl.Expr:
    """The polars expression of a math channel over frames with ``columns``.

    Raises:
        MathChannelError: anything outside the whitelist, an unknown channel, a parse error.
    """
    known = set(columns)
    if channel.kind == "sql":
        _check_sql(channel.expression, known)
        try:
            return pl.sql_expr(channel.expression)
        except Exception as exc:  # polars' SQL layer raises several error types
            raise MathChannelError(f"{channel.name}: {exc}") from exc
    try:
        tree = ast.parse(channel.expression, mode="eval")
    except SyntaxError as exc:
        raise MathChannelError(f"{channel.name}: not a polars expression ({exc.msg})") from exc
    built = _Builder(known).build(tree.body)
    if not isinstance(built, pl.Expr):
        raise MathChannelError(f"{channel.name}: the expression must give a column")
    return built


def add_math_channels(
    frame: pl.DataFrame, channels: Sequence[MathChannel], *, over: str
) -> tuple[pl.DataFrame, list[str]]:
    """``frame`` with a column per channel computed within each ``over`` group (channels may
    use the ones defined before them), and the errors of the channels left out."""
    errors: list[str] = []
    for channel in channels:
        try:
            expr = compile_channel(channel, frame.columns)
            frame = frame.with_columns(expr.cast(pl.Float64).over(over).alias(channel.name))
        except MathChannelError as exc:
            errors.append(f"{channel.name}: {exc}")
        except (pl.exceptions.PolarsError, TypeError, ValueError) as exc:
            errors.append(f"{channel.name}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    return frame, errors
