"""The Jinja2 sandbox that evaluates `{{ ... }}` expressions: immutable, strict, size-capped."""

from __future__ import annotations

import functools
import json
import types
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from jinja2 import StrictUndefined, Undefined
from jinja2 import nodes as jinja_nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import limits
from .limits import MAX_OUTPUT_CHARS, MAX_WORK_UNITS, LimitExceeded, ensure_size, weight

# Attribute names refused on any object, on top of everything starting with "_".
DENIED_ATTRIBUTES = frozenset(
    {
        "mro",
        "format",
        "format_map",
        "gi_frame",
        "gi_code",
        "cr_frame",
        "cr_code",
        "f_globals",
        "f_locals",
        "f_builtins",
        "func_globals",
        "func_code",
        "im_func",
        "im_self",
        "tb_frame",
    }
)
# Filters left out: `format` (printf-style), `random` (not repeatable), markup-only ones.
REMOVED_FILTERS = frozenset({"format", "random", "safe", "forceescape"})
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})
# Filters that turn their input into text (str()) before working on it.
_TEXT_FILTERS = frozenset(
    {
        "string", "lower", "upper", "capitalize", "title", "trim", "striptags", "escape", "e",
        "urlencode", "truncate", "wordcount", "wordwrap", "center", "indent", "replace",
        "urlize", "xmlattr", "int", "float",
    }
)  # fmt: skip


class MissingValue(StrictUndefined):
    """Strict undefined whose failure keeps the object and the missing name."""

    __slots__ = ()


def _not_allowed(what: str) -> SecurityError:
    return SecurityError(f"{what} is not allowed in expressions")


def _safe_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > limits.MAX_RANGE_ITEMS:
        raise LimitExceeded(f"range() is limited to {limits.MAX_RANGE_ITEMS:,} items")
    return rng


def _now() -> str:
    """The current UTC time as an ISO 8601 string."""
    return datetime.now(UTC).isoformat()


def _fromjson(value: str) -> Any:
    """Parse a JSON string (e.g. an HTTP response body)."""
    return json.loads(value)


def _checked_text(value: Any) -> Any:
    """A value about to be turned into text, refused when its text would be too large."""
    if not isinstance(value, str):
        ensure_size(weight(value, MAX_OUTPUT_CHARS), "the value as text")
    return value


class _GuardedCodeGenerator(CodeGenerator):
    """Compiles `a ~ b` to a size-checked call (Jinja joins the parts unchecked)."""

    def visit_Concat(self, node: jinja_nodes.Concat, frame: Frame) -> None:
        self.write("environment.guarded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class ExpressionSandbox(ImmutableSandboxedEnvironment):
    """Immutable sandbox: no str.format, no %-formatting, capped sizes, data keys before methods."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    intercepted_unops = frozenset({"+", "-"})
    code_generator_class = _GuardedCodeGenerator

    def __init__(self) -> None:
        # finalize: a value written into text is size-checked before str() builds it.
        super().__init__(
            undefined=MissingValue, autoescape=False, optimized=False, finalize=_checked_text
        )
        for name in ("lipsum", "cycler", "joiner", "namespace"):
            self.globals.pop(name, None)
        self.globals.update(range=_safe_range, now=_now)
        for name in REMOVED_FILTERS:
            self.filters.pop(name, None)
        self.filters["fromjson"] = _fromjson
        self.filters = {name: _guard_filter(name, fn) for name, fn in self.filters.items()}
        self.tests = {name: _guard_test(fn) for name, fn in self.tests.items()}

    def make_globals(self, d: Any) -> dict[str, Any]:
        """A template's globals as a plain dict, not Jinja's ChainMap over ours: every render
        copies them, key by key in Python for a ChainMap (a third of a short render's time).
        Our globals are fixed once set up, which is what the ChainMap would keep live."""
        return {**self.globals, **(d or {})}

    # -- attribute access --------------------------------------------------------------
    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        return attr not in DENIED_ATTRIBUTES and super().is_safe_attribute(obj, attr, value)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise _not_allowed(f"access to attribute {attribute!r} of a {type(obj).__name__!r} value")

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if isinstance(value, types.BuiltinMethodType | types.MethodType) and value.__name__ in (
            "format",
            "format_map",
        ):
            if isinstance(getattr(value, "__self__", None), str):

                def refuse(*args: Any, **kwargs: Any) -> str:
                    raise _not_allowed("str.format")

                return refuse
        return None

    def getattr(self, obj: Any, attribute: str) -> Any:
        limits.tick()
        if isinstance(attribute, str) and (
            attribute.startswith("_") or attribute in DENIED_ATTRIBUTES
        ):
            if isinstance(obj, Mapping) and attribute in obj:
                return obj[attribute]  # a data key, not an attribute
            raise _not_allowed(f"access to attribute {attribute!r}")
        if isinstance(obj, Mapping):
            try:
                return obj[attribute]
            except (KeyError, TypeError):
                pass
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        limits.tick()
        if isinstance(argument, str) and not isinstance(obj, Mapping):
            if argument.startswith("_") or argument in DENIED_ATTRIBUTES:
                raise _not_allowed(f"access to attribute {argument!r}")
        return super().getitem(obj, argument)

    # -- operators and calls -----------------------------------------------------------
    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        result = self.binop_table[operator](left, right)
        limits.charge(result)
        return result

    def guarded_concat(self, values: tuple[Any, ...]) -> str:
        """`a ~ b ~ ...`: every part as text, the whole no larger than `+` allows."""
        limits.tick()
        parts = [str(_checked_text(value)) for value in values]
        ensure_size(sum(map(len, parts)), "the concatenated text", MAX_WORK_UNITS)
        result = "".join(parts)
        limits.charge(result)
        return result

    def call_unop(self, context: Context, operator: str, arg: Any) -> Any:
        limits.tick()
        return self.unop_table[operator](arg)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        limits.tick()
        owner = getattr(__obj, "__self__", None)
        # Methods of str and bytes, and of their subclasses: Markup (from `tojson`) overrides
        # join, center, replace... in Python, and must be checked the same way.
        if isinstance(owner, str | bytes) and isinstance(
            __obj, types.BuiltinMethodType | types.MethodType
        ):
            args = _check_str_method(owner, __obj.__name__, args, kwargs)
        elif isinstance(owner, int) and getattr(__obj, "__name__", "") == "to_bytes":
            length = args[0] if args else kwargs.get("length", 1)
            if isinstance(length, int):
                ensure_size(length, "int.to_bytes()")
        result = super().call(__context, __obj, *args, **kwargs)
        limits.charge(result)
        return result


def _seq_len(value: Any) -> int | None:
    if isinstance(value, str | bytes | list | tuple):
        return len(value) if isinstance(value, str | bytes) else weight(value, MAX_OUTPUT_CHARS)
    return None


def _check_binop(operator: str, left: Any, right: Any) -> None:
    limits.tick()
    if operator == "%" and isinstance(left, str | bytes):
        raise _not_allowed("%-formatting of strings")
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            size = _seq_len(seq)
            if size is not None and isinstance(times, int):
                ensure_size(size * max(times, 0), "the repeated value")
    elif operator == "+":
        sizes = (_seq_len(left), _seq_len(right))
        if sizes[0] is not None and sizes[1] is not None:
            ensure_size(sizes[0] + sizes[1], "the concatenated value", MAX_WORK_UNITS)
    elif operator == "**" and isinstance(left, int) and isinstance(right, int):
        if abs(left) > 1 and right > 0:
            ensure_size(right * abs(left).bit_length(), "the power (in bits)", limits.MAX_POW_BITS)


def _check_str_method(owner: str | bytes, name: str, args: tuple, kwargs: dict) -> tuple:
    """Refuse str/bytes method calls that would allocate too much; may materialise an iterable."""
    if name == "join" and args and not isinstance(args[0], list | tuple):
        args = (list(args[0]), *args[1:])  # e.g. a string or a generator: count its items
    if name in _WIDTH_METHODS and args and isinstance(args[0], int):
        ensure_size(args[0], f"str.{name}()")
    elif name == "expandtabs":
        tabsize = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(tabsize, int):
            ensure_size(len(owner) * max(tabsize, 1), "str.expandtabs()")
    elif name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1])
    elif name == "join" and args:
        _check_join(args[0], owner)
    elif name == "translate" and args and isinstance(owner, str):
        table = args[0]
        values = table.values() if isinstance(table, Mapping) else table
        if isinstance(values, list | tuple) or isinstance(table, Mapping):
            longest = max((len(v) for v in values if isinstance(v, str)), default=1)
            ensure_size(len(owner) * max(longest, 1), "str.translate()")
    return args


def _check_replace(value: Any, old: Any, new: Any) -> None:
    if (
        isinstance(value, str | bytes)
        and isinstance(old, str | bytes)
        and isinstance(new, str | bytes)
    ):
        hits = value.count(old) if old else len(value) + 1  # type: ignore[arg-type]
        ensure_size(len(value) + hits * max(len(new) - len(old), 0), "the replaced text")


def _check_join(items: Any, separator: Any) -> None:
    if isinstance(items, list | tuple):
        sep = len(separator) if isinstance(separator, str | bytes) else 0
        ensure_size(weight(list(items), MAX_OUTPUT_CHARS) + sep * len(items), "the joined text")


def _check_filter_args(name: str, args: tuple, kwargs: dict[str, Any]) -> tuple:
    """Refuse filter arguments that would allocate too much; may materialise the input."""
    value = args[0] if args else None
    rest = args[1:]
    if name in _TEXT_FILTERS and value is not None:
        _checked_text(value)
    if name == "center":
        width = rest[0] if rest else kwargs.get("width", 80)
        if isinstance(width, int):
            ensure_size(width, "center()")
    elif name == "indent" and isinstance(value, str):
        width = rest[0] if rest else kwargs.get("width", 4)
        unit = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
        ensure_size(len(value) + unit * (value.count("\n") + 1), "indent()")
    elif name in ("batch", "slice"):
        count = rest[0] if rest else kwargs.get("linecount", kwargs.get("slices"))
        if isinstance(count, int):
            ensure_size(count, f"{name}()", limits.MAX_RANGE_ITEMS)
    elif name == "replace" and len(rest) >= 2:
        _check_replace(value, rest[0], rest[1])
    elif name == "wordwrap" and isinstance(value, str):
        wrap = kwargs.get("wrapstring") or (rest[2] if len(rest) > 2 else None) or "\n"
        ensure_size(len(value) * (1 + len(str(wrap))), "wordwrap()")
    elif name == "sum":
        start = kwargs.get("start", rest[1] if len(rest) > 1 else 0)
        if isinstance(start, bool) or not isinstance(start, int | float):
            raise _not_allowed("sum() of anything but numbers")
    elif name in ("join", "tojson", "pprint", "list", "string") and value is not None:
        if not isinstance(value, str | int | float | bool | Mapping | list | tuple):
            value = list(value)  # a generator: materialise once, then check
            args = (value, *rest)
        if name == "join":
            sep = rest[0] if rest else kwargs.get("d", "")
            _check_join(value if isinstance(value, list | tuple) else [], sep)
        elif name in ("tojson", "pprint"):
            ensure_size(weight(value, MAX_WORK_UNITS), f"{name}()", MAX_WORK_UNITS)
    return args


def _guard_filter(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        limits.tick()
        # Filters that receive the environment/context get it as their first argument.
        lead = args[:1] if getattr(fn, "jinja_pass_arg", None) is not None else ()
        checked = _check_filter_args(name, args[len(lead) :], kwargs)
        result = fn(*lead, *checked, **kwargs)
        limits.charge(result)
        return result

    return guarded


def _guard_test(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        limits.tick()
        return fn(*args, **kwargs)

    return guarded


ENV = ExpressionSandbox()
