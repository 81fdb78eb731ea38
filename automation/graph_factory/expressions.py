"""`{{ ... }}` expressions in node config: inspect at publish time, render once at run time.

Rendering happens once: values taken from the context (trigger payload, node outputs) are data
and are never parsed as templates, whatever they contain.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError, Undefined, nodes
from jinja2.environment import Template, TemplateExpression
from jinja2.exceptions import SecurityError, UndefinedError

from .limits import (
    MAX_OUTPUT_CHARS,
    MAX_SOURCE_CHARS,
    MAX_WORK_UNITS,
    LimitExceeded,
    ensure_size,
    render_budget,
    weight,
)
from .sandbox import ENV, MissingValue

# The names an expression may use (a contract with the run-time context and the builder).
CONTEXT_NAMES = frozenset({"trigger", "nodes", "execution", "workflow"})
LOOP_NAMES = frozenset({"item", "index"})  # inside a for-each body only (checked at publish)
GLOBAL_NAMES = frozenset(ENV.globals)
ALLOWED_NAMES = CONTEXT_NAMES | LOOP_NAMES | GLOBAL_NAMES

_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_SINGLE = re.compile(r"\s*\{\{-?(?P<expr>(?:(?!\}\}|\{\{|\{%|\{#).)*?)-?\}\}\s*", re.DOTALL)
_MISSING = re.compile(r"has no attribute '(?P<name>.+)'$|has no element (?P<index>-?\d+)$")
_ALLOWED_STATEMENTS = (nodes.Template, nodes.Output, nodes.TemplateData)


class ExpressionError(Exception):
    """An expression could not be evaluated; `expression` is the offending source."""

    def __init__(self, message: str, expression: str | None = None):
        super().__init__(f"{message} (in {expression!r})" if expression else message)
        self.reason = message
        self.expression = expression


@dataclass(frozen=True)
class TemplateInfo:
    """What a template uses: top-level names and literal node references."""

    syntax_error: str | None = None
    names: frozenset[str] = field(default_factory=frozenset)
    node_refs: frozenset[str] = field(default_factory=frozenset)
    dynamic_node_ref: bool = False  # nodes[<not a literal>]: cannot be checked


def is_expression(value: Any) -> bool:
    """Whether a config value contains a `{{ ... }}` expression."""
    return isinstance(value, str) and "{{" in value and _EXPRESSION.search(value) is not None


def _parse(text: str) -> nodes.Template:
    """Parse and reject anything but `{{ }}` output (no statements, macros, loops)."""
    if len(text) > MAX_SOURCE_CHARS:
        raise ExpressionError(f"template longer than {MAX_SOURCE_CHARS:,} characters")
    try:
        ast = ENV.parse(text)
    except TemplateError as exc:
        raise ExpressionError(f"syntax error: {exc.message}", text) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is nested too deeply", text) from None
    for node in ast.body:
        if not isinstance(node, _ALLOWED_STATEMENTS):
            raise ExpressionError(
                "statements ({% ... %}) are not supported; use {{ ... }} expressions", text
            )
    return ast


def _path(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_path(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem):
        arg = node.arg
        key = repr(arg.value) if isinstance(arg, nodes.Const) else "..."
        return f"{_path(node.node)}[{key}]"
    return "(value)"


def _node_ref(node: nodes.Getattr | nodes.Getitem) -> tuple[bool, str | None]:
    """(is a `nodes.X` / `nodes[...]` access, literal id or None)."""
    if not (isinstance(node.node, nodes.Name) and node.node.name == "nodes"):
        return False, None
    if isinstance(node, nodes.Getattr):
        return True, node.attr
    if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return True, node.arg.value
    return True, None


def _literal_attrs(node: nodes.Node) -> list[Any]:
    """Attribute names a node reads literally: x.y, x['y'], x|attr('y')."""
    if isinstance(node, nodes.Getattr):
        return [node.attr]
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return [node.arg.value]
    if isinstance(node, nodes.Filter) and node.name == "attr":
        return [arg.value for arg in node.args if isinstance(arg, nodes.Const)]
    return []


def _analyse(ast: nodes.Template) -> TemplateInfo:
    """One walk over an expression-only AST (no statements, so every name is top level)."""
    names: set[str] = set()
    refs: set[str] = set()
    dynamic = False
    for node in ast.find_all(nodes.Node):
        if isinstance(node, nodes.Name) and node.name not in GLOBAL_NAMES:
            names.add(node.name)  # like jinja2.meta.find_undeclared_variables, but keeps "self"
        elif isinstance(node, nodes.Filter | nodes.Test):
            kind, known = (
                ("filter", ENV.filters) if isinstance(node, nodes.Filter) else ("test", ENV.tests)
            )
            if node.name not in known:
                return TemplateInfo(syntax_error=f"syntax error: no {kind} named {node.name!r}")
        for attr in _literal_attrs(node):
            if isinstance(attr, str) and attr.startswith("__"):
                return TemplateInfo(syntax_error=f"access to attribute {attr!r} is not allowed")
        if isinstance(node, nodes.Getattr | nodes.Getitem):
            is_ref, ref = _node_ref(node)
            dynamic = dynamic or (is_ref and ref is None)
            if ref is not None:
                refs.add(ref)
    return TemplateInfo(names=frozenset(names), node_refs=frozenset(refs), dynamic_node_ref=dynamic)


@functools.lru_cache(maxsize=4096)
def inspect_template(text: str) -> TemplateInfo:
    """Syntax, top-level names and node ids a template refers to (never raises)."""
    try:
        return _analyse(_parse(text))
    except ExpressionError as exc:
        return TemplateInfo(syntax_error=exc.reason)
    except (RecursionError, MemoryError):
        return TemplateInfo(syntax_error="expression is nested too deeply")


@dataclass(frozen=True)
class _Compiled:
    source: str
    ast: nodes.Template
    template: Template | None = None  # text rendering
    expression: TemplateExpression | None = None  # native single expression


@functools.lru_cache(maxsize=1024)
def _compile(text: str) -> _Compiled:
    info = inspect_template(text)
    if info.syntax_error is not None:
        raise ExpressionError(info.syntax_error, text)
    ast = _parse(text)
    unknown = sorted(info.names - ALLOWED_NAMES)
    if unknown:
        raise ExpressionError(
            f"name {unknown[0]!r} is not allowed; available: {', '.join(sorted(ALLOWED_NAMES))}",
            text,
        )
    single = _SINGLE.fullmatch(text)
    try:
        if single is not None:
            expression = ENV.compile_expression(single.group("expr"), undefined_to_none=False)
            return _Compiled(text, ast, expression=expression)
        return _Compiled(text, ast, template=ENV.from_string(ast))
    except TemplateError as exc:
        raise ExpressionError(f"syntax error: {exc.message}", text) from None
    except (RecursionError, MemoryError, SyntaxError):
        raise ExpressionError("expression is nested too deeply", text) from None


def _missing_message(compiled: _Compiled, error: UndefinedError) -> str:
    """Turn Jinja's "'dict object' has no attribute 'x'" into "nodes.find has no attribute 'x'"."""
    match = _MISSING.search(error.message or "")
    name = match and (match.group("name") or match.group("index"))
    if name:
        for node in compiled.ast.find_all((nodes.Getattr, nodes.Getitem)):
            key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
            if str(key) == name:
                base = _path(node.node)
                if base == "nodes":
                    return f"nodes has no attribute {name!r} (node {name!r} did not run)"
                if match.group("index"):
                    return f"{base} has no element {name}"
                return f"{base} has no attribute {name!r}"
    return error.message or "undefined value"


def _materialise(value: Any) -> Any:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    if isinstance(value, Iterator | range):
        items = []
        for item in value:
            items.append(item)
            if len(items) > MAX_OUTPUT_CHARS:
                raise LimitExceeded(f"result has more than {MAX_OUTPUT_CHARS:,} items")
        value = items
    if isinstance(value, str) and type(value) is not str:
        return str(value)  # e.g. Markup from tojson
    if callable(value):
        raise ExpressionError("expression evaluates to a function (missing a call or a key?)")
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        # Many references to one large value are cheap to build but not to log or send as JSON.
        ensure_size(weight(value, MAX_WORK_UNITS), "the expression's value", MAX_WORK_UNITS)
    return value


def _render_text(template: Template, context: dict[str, Any]) -> str:
    parts: list[str] = []
    size = 0
    for chunk in template.generate(context):
        size += len(chunk)
        if size > MAX_OUTPUT_CHARS:
            raise LimitExceeded(f"rendered text is larger than {MAX_OUTPUT_CHARS:,} characters")
        parts.append(chunk)
    return "".join(parts)


def render_string(text: str, context: dict[str, Any]) -> Any:
    """Render one string: native value for a lone `{{ expr }}`, text otherwise."""
    if not is_expression(text):
        return text
    compiled = _compile(text)
    try:
        with render_budget():
            if compiled.expression is not None:
                return _materialise(compiled.expression(**context))
            assert compiled.template is not None
            return _render_text(compiled.template, context)
    except ExpressionError as exc:
        raise ExpressionError(exc.reason, text) from None
    except UndefinedError as exc:
        raise ExpressionError(_missing_message(compiled, exc), text) from None
    except SecurityError as exc:
        raise ExpressionError(str(exc), text) from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is too complex", text) from None
    except Exception as exc:  # noqa: BLE001 - any failure of user code is the user's error
        raise ExpressionError(f"{type(exc).__name__}: {exc}", text) from None


def render_config(value: Any, context: dict[str, Any]) -> Any:
    """Render every string in a config (dicts and lists recursively); keys stay as they are."""
    if isinstance(value, str):
        return render_string(value, context)
    if isinstance(value, dict):
        return {key: render_config(item, context) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render_config(item, context) for item in value]
    return value


__all__ = [
    "ALLOWED_NAMES",
    "CONTEXT_NAMES",
    "LOOP_NAMES",
    "ExpressionError",
    "MissingValue",
    "TemplateInfo",
    "inspect_template",
    "is_expression",
    "render_config",
    "render_string",
]
