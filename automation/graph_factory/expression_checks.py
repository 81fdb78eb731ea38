"""Publish-time checks of the expressions in one node's config (E011, E012, E007, E022)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from . import errors as E
from .errors import ValidationIssue
from .expressions import ALLOWED_NAMES, LOOP_NAMES, inspect_template, is_expression
from .paths import iter_strings


def short(text: str, limit: int = 120) -> str:
    """`text`, cut to `limit` characters for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_node_expressions(
    node_id: str,
    config: Any,
    is_upstream: Callable[[str], bool],
    known: Mapping[str, Any],
    in_body: bool = False,
) -> Iterator[ValidationIssue]:
    """Issues for every expression string inside `config` (field paths start with "config").

    `in_body`: the node is inside a for-each group, where `item` and `index` exist.
    """
    for path, text in iter_strings(config, "config"):
        if is_expression(text):
            for code, message in _problems(node_id, text, is_upstream, known, in_body):
                yield ValidationIssue(code=code, message=message, node_id=node_id, field=path)


def _problems(
    node_id: str,
    text: str,
    is_upstream: Callable[[str], bool],
    known: Mapping[str, Any],
    in_body: bool,
) -> Iterator[tuple[str, str]]:
    info = inspect_template(text)
    if info.syntax_error is not None:
        yield E.E_EXPRESSION_SYNTAX, short(info.syntax_error, 300)
        return
    allowed = ALLOWED_NAMES if in_body else ALLOWED_NAMES - LOOP_NAMES
    available = ", ".join(sorted(allowed))
    for name in sorted(info.names - ALLOWED_NAMES):
        yield E.E_EXPRESSION_UNKNOWN_NAME, f"unknown name {short(name)!r}; available: {available}"
    if not in_body:
        for name in sorted(info.names & LOOP_NAMES):
            yield (
                E.E_LOOP_NAME_OUTSIDE,
                f"{name!r} exists only inside a for-each group (this node is not in one)",
            )
    if info.dynamic_node_ref:
        yield (
            E.E_EXPRESSION_NOT_UPSTREAM,
            "nodes[...] must name a node id literally, e.g. nodes['find-deals']",
        )
    for ref in sorted(info.node_refs):
        if ref == node_id:
            problem = "refers to its own node"
        elif ref not in known:
            problem = f"refers to node {short(ref)!r}, which does not exist"
        elif not is_upstream(ref):
            problem = f"refers to node {short(ref)!r}, which is not upstream of this node"
        else:
            continue
        yield E.E_EXPRESSION_NOT_UPSTREAM, f"the expression {problem}"
