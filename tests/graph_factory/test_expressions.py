"""Expressions: native vs text, data never evaluated, strict undefined, sandbox, limits."""

from __future__ import annotations

from datetime import datetime

import pytest

from automation.graph_factory.expressions import (
    ExpressionError,
    inspect_template,
    is_expression,
    render_config,
)


@pytest.fixture
def context() -> dict:
    return {
        "trigger": {
            "record": {"id": 7, "name": "Acme deal", "amount": 60000},
            "items": [1, 2, 3],
            "note": "{{ 7*7 }}",
            "evil": "{{ ''.__class__.__mro__ }}",
        },
        "nodes": {
            "find_deals": {"count": 2, "records": [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]},
            "find-owner": {"count": 1, "records": [{"id": 9}]},
        },
        "execution": {"id": "ex-1", "workflow_id": 3, "version": 2},
        "workflow": {"id": 3, "name": "Big deals"},
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{{ x }}", True),
        ("a {{ x }} b", True),
        ("{{x}}", True),
        ("plain", False),
        ("{ x }", False),
        ("{{ open", False),
        (42, False),
        (None, False),
        ("{% if x %}", False),
    ],
)
def test_is_expression(value: object, expected: bool) -> None:
    assert is_expression(value) is expected


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{{ nodes.find_deals.count }}", 2),
        ("{{ nodes['find-owner'].count }}", 1),
        ("  {{ trigger.record.amount > 50000 }}  ", True),
        ("{{ nodes.find_deals.records }}", [{"id": 1, "name": "A"}, {"id": 2, "name": "B"}]),
        ("{{ nodes.find_deals.records | map(attribute='id') | list }}", [1, 2]),
        ("{{ trigger.record.amount / 1000 }}", 60.0),
        ("{{ none }}", None),
        ("{{ trigger.items }}", [1, 2, 3]),  # a data key wins over dict.items
        ("{{ nodes.find_deals.records | map(attribute='name') }}", ["A", "B"]),
        ("{{ trigger.record | tojson }}", '{"amount": 60000, "id": 7, "name": "Acme deal"}'),
        ("{{ '[1, 2]' | fromjson }}", [1, 2]),
        ("{{ nodes.find_deals.missing | default('n/a') }}", "n/a"),
        ("{{ workflow.name }} #{{ execution.id }}", "Big deals #ex-1"),
        ("Found {{ nodes.find_deals.count }} deals", "Found 2 deals"),
        ("{{ 1 }}{{ 2 }}", "12"),
    ],
)
def test_render_native_and_text(context: dict, template: str, expected: object) -> None:
    result = render_config(template, context)
    assert result == expected and type(result) is type(expected)


def test_render_config_recurses_and_keeps_keys_and_non_strings(context: dict) -> None:
    config = {
        "{{ key }}": "{{ trigger.record.id }}",
        "list": ["{{ trigger.record.name }}", 5, {"deep": "id={{ trigger.record.id }}"}],
        "flag": True,
        "none": None,
        "plain": "no expression",
    }
    assert render_config(config, context) == {
        "{{ key }}": 7,
        "list": ["Acme deal", 5, {"deep": "id=7"}],
        "flag": True,
        "none": None,
        "plain": "no expression",
    }


def test_now_is_an_iso_utc_string() -> None:
    value = render_config("{{ now() }}", {})
    assert datetime.fromisoformat(value).utcoffset().total_seconds() == 0


# -- data is never evaluated --------------------------------------------------------------
def test_payload_template_text_stays_literal(context: dict) -> None:
    assert render_config("{{ trigger.note }}", context) == "{{ 7*7 }}"
    assert render_config("Note: {{ trigger.note }}", context) == "Note: {{ 7*7 }}"
    assert render_config({"a": ["{{ trigger.note }}"]}, context) == {"a": ["{{ 7*7 }}"]}


def test_payload_with_sandbox_escape_is_inert(context: dict) -> None:
    text = render_config("Evil: {{ trigger.evil }}!", context)
    assert text == "Evil: {{ ''.__class__.__mro__ }}!"
    assert render_config("{{ trigger.evil }}", context) == "{{ ''.__class__.__mro__ }}"


# -- errors --------------------------------------------------------------------------------
def test_missing_attribute_names_the_path(context: dict) -> None:
    with pytest.raises(ExpressionError) as caught:
        render_config("{{ nodes.find_deals.recordz }}", context)
    assert "nodes.find_deals has no attribute 'recordz'" in str(caught.value)
    assert caught.value.expression == "{{ nodes.find_deals.recordz }}"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("Deal {{ nodes.find_deals.recordz }}", "nodes.find_deals has no attribute 'recordz'"),
        ("{{ nodes.skipped.count }}", "node 'skipped' did not run"),
        ("{{ nodes.find_deals.records[5].id }}", "nodes.find_deals.records has no element 5"),
        ("{{ trigger.record.id + }}", "syntax error"),
        ("{{ trigger | nosuchfilter }}", "no filter named 'nosuchfilter'"),
        ("{% if trigger %}yes{% endif %}{{ 1 }}", "statements"),
        ("{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{{ trigger.get }}", "function"),
    ],
)
def test_errors_are_expression_errors(context: dict, template: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        render_config(template, context)
    assert message in str(caught.value)


ATTACKS = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ trigger.__class__.__init__.__globals__ }}",
    "{{ nodes.find_deals.__builtins__ }}",
    "{{ trigger['__class__'] }}",
    "{{ trigger.record | attr('__class__') }}",
    "{{ (trigger.record | attr('__class__')).mro() }}",
    "{{ ''.mro }}",
    "{{ os.system('id') }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ self._TemplateReference__context }}",
    "{{ self }}",
    "{{ config.items() }}",
    "{{ request.application }}",
    "{{ '{0.__class__}'.format(trigger) }}",
    "{{ '{0}'.format_map(trigger) }}",
    "{{ '%s' % trigger }}",
    "{{ trigger.items.append(4) }}",
    "{{ trigger.record.update(id=1) }}",
    "{{ range.__self__ }}",
    "{{ dict.__base__ }}",
    "{{ now.__globals__ }}",
]


@pytest.mark.parametrize("template", ATTACKS)
def test_sandbox_refuses(context: dict, template: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        render_config(template, context)
    assert "not allowed" in str(caught.value)


LIMITS = [
    "{{ 'a' * 10**9 }}",
    "{{ 10**9 * 'a' }}",
    "{{ ['x'] * 10**9 }}",
    "{{ ['a' * 1000000] * 1000 }}",
    "{{ 2 ** 10000000 }}",
    "{{ range(10**9) | list }}",
    "{{ 'a' | center(10**9) }}",
    "{{ ('a' * 1000).ljust(10**9) }}",
    "{{ 'a' | indent(10**9) }}",
    "{{ ('a' * 1000000) | replace('a', 'aaaa') }}",
    "{{ range(10000) | map('center', 1000000) | join }}",
    "{{ range(10) | batch(10**9, 0) | list }}",
    "{{ [[1] * 1000] * 1000 | sum(start=[]) }}",
    "{{ 'a' * 1000000 }}{{ 'b' * 1000000 }}",  # rendered text over 1 MiB
]


@pytest.mark.parametrize("template", LIMITS)
def test_size_limits(context: dict, template: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        render_config(template, context)
    message = str(caught.value)
    assert (
        "larger than" in message
        or "limited to" in message
        or "more than" in message
        or "not allowed" in message
    )


def test_large_but_allowed_values_render(context: dict) -> None:
    assert len(render_config("{{ 'a' * 1000000 }}", context)) == 1_000_000
    assert render_config("{{ range(10000) | list | length }}", context) == 10_000


# -- inspect_template ------------------------------------------------------------------------
def test_inspect_template_names_and_node_refs() -> None:
    info = inspect_template(
        "{{ nodes.find_deals.count }} {{ nodes['find-owner'].records[0].id }}"
        " {{ trigger.record.id | default(fallback) }} {{ execution.id }}"
    )
    assert info.syntax_error is None
    assert info.names == {"nodes", "trigger", "fallback", "execution"}
    assert info.node_refs == {"find_deals", "find-owner"}
    assert not info.dynamic_node_ref


def test_inspect_template_reports_problems() -> None:
    assert inspect_template("{{ nodes[trigger.id].x }}").dynamic_node_ref
    assert "syntax error" in inspect_template("{{ 1 + }}").syntax_error
    assert "statements" in inspect_template("{% for x in y %}{% endfor %}").syntax_error
    assert "__class__" in inspect_template("{{ x.__class__ }}").syntax_error
    assert inspect_template("{{ self }}").names == {"self"}
    assert (
        "nested too deeply"
        in inspect_template("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}").syntax_error
    )
