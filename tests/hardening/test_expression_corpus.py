"""Expression sandbox corpus: injection payloads refused, resource abuse bounded in time and memory.

Contract (extends tests/graph_factory/test_expressions.py, whose payloads are not repeated):
every server-side template injection payload here (attribute walks to __globals__/__builtins__
through filters, escapes and computed names; cycler/joiner/namespace/lipsum and Flask-style
globals; str.format / %-formatting) raises ExpressionError saying what is not allowed; every
resource-abuse payload (huge range, repetition, concatenation, joins, translate, to_bytes,
stringifying many references to one large value) raises ExpressionError naming the limit, within
the render deadline plus a margin and without allocating more than a bounded amount of memory;
and random compositions of risky pieces either render a bounded value or raise ExpressionError,
never anything else.
"""

from __future__ import annotations

import gc
import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.graph_factory.expressions import ExpressionError, render_config
from automation.graph_factory.limits import MAX_WORK_UNITS, RENDER_TIMEOUT_S, weight

TIME_BOUND_S = RENDER_TIMEOUT_S + 1.0
MEMORY_BOUND = 200 * 1024 * 1024  # bytes traced at the peak of one render
LIMIT_WORDS = ("larger than", "limited to", "more than", "longer than", "too complex")


@pytest.fixture(autouse=True)
def test_session_heap_frozen():
    """Keep the collector off what the test session already holds (as run workers keep it off
    their preloaded modules): a full collection over a late session's heap costs seconds
    here, and that is not the render's work that the time bound is about."""
    gc.freeze()
    yield
    gc.unfreeze()


def context() -> dict:
    return {
        "trigger": {"s": "abc", "n": 5, "items": [1, 2, 3], "d": {"a": 1}, "big": "a" * 1_000_000},
        "nodes": {"find": {"count": 1, "records": [{"id": 1, "data": {"name": "A"}}]}},
        "execution": {"id": "ex-1"},
        "workflow": {"id": 1, "name": "W"},
    }


INJECTIONS = [
    # attribute walks, spelled so that a name check on the source text cannot see them
    "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ ''['\\u005f\\u005fclass\\u005f\\u005f'] }}",
    "{{ trigger|attr('_'*2 ~ 'class' ~ '_'*2) }}",
    "{{ trigger[('_'*2) ~ 'class' ~ ('_'*2)] }}",
    "{{ ''|attr(['_','_','class','_','_']|join) }}",
    "{{ (trigger.s ~ '')|attr('__cla' ~ 'ss__') }}",
    "{{ ().__class__.__bases__[0].__subclasses__() }}",
    "{{ ''.__class__.__base__.__subclasses__() }}",
    "{{ trigger.s.upper.__self__ }}",
    "{{ trigger.s.upper.__func__ }}",
    "{{ trigger.d.keys.__self__ }}",
    "{{ (1).__add__ }}",
    "{{ trigger.s.__len__() }}",
    "{{ nodes.find.records[0].__class__ }}",
    "{{ nodes['__class__'] }}",
    "{{ nodes.__init__ }}",
    # __globals__ / __builtins__ through functions the sandbox exposes
    "{{ range.__globals__ }}",
    "{{ now.__globals__['__builtins__'] }}",
    "{{ now|attr('__globals__') }}",
    "{{ (now|attr('__glo' ~ 'bals__'))['__builtins__'] }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self.__dict__ }}",
    "{{ config.__class__.__init__.__globals__['os'] }}",
    "{{ request['application']['__globals__'] }}",
    "{{ url_for.__globals__ }}",
    "{{ get_flashed_messages.__globals__ }}",
    # filters that read attributes by name
    "{{ trigger|map(attribute='__class__')|list }}",
    "{{ nodes.find.records|map(attribute='id.__class__')|list }}",
    "{{ nodes.find.records|selectattr('__class__')|list }}",
    "{{ nodes.find.records|sort(attribute='__class__')|list }}",
    "{{ nodes.find.records|groupby('__class__')|list }}",
    "{{ nodes.find.records|sum(attribute='__class__') }}",
    "{{ nodes.find.records|unique(attribute='__class__')|list }}",
    "{{ nodes.find.records|min(attribute='__class__') }}",
    "{{ nodes.find.records|rejectattr('__class__.__init__.__globals__')|list }}",
    # Jinja's own globals and template internals
    "{{ cycler }}",
    "{{ cycler('a').__init__.__globals__ }}",
    "{{ joiner() }}",
    "{{ namespace(a=1) }}",
    "{{ lipsum() }}",
    "{{ loop }}",
    "{{ caller }}",
    "{{ super() }}",
    "{{ context }}",
    "{{ environment }}",
    # format-string attacks
    "{{ trigger.s.format }}",
    "{{ '{0.__class__.__mro__}'.format(trigger) }}",
    "{{ ('{0.' ~ '__class__}').format(1) }}",
    "{{ '{0:>1000000000}'.format(1) }}",
    "{{ trigger.s.format_map(trigger.d) }}",
    "{{ '%(a)s' % trigger.d }}",
    "{{ '%999999999s' % 'x' }}",
    "{{ '%s'|format(trigger) }}",
    "{{ trigger.s.mro }}",
    # mutation of the context
    "{{ trigger.items.pop() }}",
    "{{ trigger.items.clear() }}",
    "{{ trigger.d.setdefault('x', 1) }}",
]

DOS = [
    "{{ range(10**12)|length }}",
    "{{ range(10**12)[5] }}",
    "{{ [range(10000)|list]*1000 }}",
    "{{ ([1]*10000)*1000 }}",
    "{{ 'x'.encode()*10**9 }}",
    "{{ trigger.items * 10**9 }}",
    "{{ (10**100000) }}",
    "{{ (2**99999) * (2**99999) * (2**99999) }}",
    "{{ 'a'.zfill(10**9) }}",
    "{{ 'a\\t'.expandtabs(10**9) }}",
    "{{ ('a'*100000).center(10**9) }}",
    "{{ range(10000)|map('string')|join(',' * 1000) }}",
    "{{ range(10000)|map('string')|map('center', 100000)|list|length }}",
    "{{ trigger.big|replace('a', 'bb') }}",
    "{{ trigger.big|wordwrap(1) }}",
    "{{ ('x'*1000).join(('y'*10000)|list) }}",
    "{{ ('x'*1000000).join('y'*2000) }}",
    "{{ ('x'*1000000).join(trigger.s * 1000) }}",
    "{{ ('a'*100000).translate({97: 'x'*1000000}) }}",
    "{{ (1).to_bytes(10**10, 'big') }}",
    "{{ ('a' * 1000000) ~ ('a' * 1000000) ~ ('a' * 1000000) ~ ('a' * 1000000) ~ ('a' * 1000000)"
    " ~ ('a' * 1000000) ~ ('a' * 1000000) ~ ('a' * 1000000) ~ ('a' * 1000000) ~ ('a' * 1000000)"
    " ~ ('a' * 1000000) ~ ('a' * 1000000) ~ ('a' * 1000000) ~ ('a' * 1000000) ~ ('a' * 1000000)"
    " ~ ('a' * 1000000) ~ ('a' * 1000000) }}",
    "{{ " + " ~ ".join(["trigger.big"] * 40) + " }}",
    # many references to one large value, then turned into text in one go
    "{{ trigger.d.fromkeys(range(10000), trigger.big)|string }}",
    "{{ trigger.d.fromkeys(range(10000), trigger.big)|lower }}",
    "{{ trigger.d.fromkeys(range(10000), trigger.big) ~ '' }}",
    "x {{ trigger.d.fromkeys(range(10000), trigger.big) }}",
    "{{ trigger.d.fromkeys(range(10000), trigger.big)|tojson }}",
    "{{ trigger.d.fromkeys(range(10000), trigger.big)|dictsort|string }}",
    "{{ trigger.d.fromkeys(range(10000), trigger.big).values()|list|join }}",
    "{{ ('[' * 100000)|fromjson }}",
    "{{ 'a' * 1000000 }}{{ 'b' * 1000000 }}",
    # the same through Markup (what tojson returns), whose methods are Python, not builtins
    "{{ (trigger|tojson).join(trigger.big) }}",
    "{{ (trigger.s|tojson).center(10**9) }}",
    "{{ ('a'|tojson).zfill(10**9) }}",
    "{{ (trigger.big|tojson).replace('a', 'bb') }}",
]


def render_measured(template: str) -> tuple[Exception | None, object, float, int]:
    """(error, result, seconds, peak traced bytes) of one render."""
    error, result = None, None
    tracemalloc.start()
    started = time.thread_time()  # CPU time: robust on a loaded machine
    try:
        result = render_config(template, context())
    except Exception as exc:  # noqa: BLE001 - the caller asserts on the type
        error = exc
    seconds = time.thread_time() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return error, result, seconds, peak


@pytest.mark.parametrize("template", INJECTIONS)
def test_injection_is_refused_with_a_clear_error(template: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        render_config(template, context())
    message = str(caught.value)
    assert "not allowed" in message or "no filter named 'format'" in message, message
    assert caught.value.expression == template


@pytest.mark.parametrize("template", DOS)
def test_resource_abuse_is_refused_in_bounded_time_and_memory(template: str) -> None:
    error, result, seconds, peak = render_measured(template)
    assert isinstance(error, ExpressionError), (error, str(result)[:100])
    assert any(word in str(error) for word in LIMIT_WORDS), str(error)
    assert seconds < TIME_BOUND_S, seconds
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MiB traced"


PIECES_VALUES = st.sampled_from(
    ["trigger", "trigger.s", "trigger.big", "trigger.items", "trigger.d", "nodes.find.records",
     "range(10000)", "'x' * 1000000", "10**4000", "now", "[trigger.big] * 2", "dict(a=1)"]
)  # fmt: skip
PIECES_SUFFIX = st.sampled_from(
    [".__class__", "|attr('__globals__')", ".format", "|string", "|list", "|tojson", "|join",
     "|map('string')|list", ".values()", ".items()|list", "|length", "|reverse|list", ".upper()",
     " ~ trigger.big", " * 16", " + trigger.s", "|center(100000)", "|indent(100000)",
     "|replace('a', 'aa')", ".join(trigger.big)", ".translate({97: 'yy'})", "[0]", "|first",
     ".fromkeys(range(10000), trigger.big)", "|dictsort", "|sum", "|batch(3)|list", "|unique|list"]
)  # fmt: skip


@st.composite
def compositions(draw: st.DrawFn) -> str:
    expression = draw(PIECES_VALUES)
    for suffix in draw(st.lists(PIECES_SUFFIX, min_size=1, max_size=5)):
        expression = f"({expression}){suffix}"
    return ("x {{ %s }}" if draw(st.booleans()) else "{{ %s }}") % expression


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(compositions())
def test_random_compositions_are_bounded(template: str) -> None:
    # CPU time of this thread: what the render costs, not how long a loaded machine made it
    # wait for a core (the render's own deadline is wall time, checked between steps).
    started = time.thread_time()
    try:
        result = render_config(template, context())
    except ExpressionError:
        pass
    else:
        assert weight(result, MAX_WORK_UNITS) <= MAX_WORK_UNITS
    assert time.thread_time() - started < TIME_BOUND_S


def test_limits_do_not_refuse_ordinary_large_work() -> None:
    ctx = context()
    assert render_config("{{ trigger.big ~ trigger.s }}", ctx).endswith("abc")
    assert render_config("{{ range(10000)|map('string')|join(',')|length }}", ctx) == 48_889
    assert render_config("{{ trigger.s.translate({97: 'AA'}) }}", ctx) == "AAbc"
    assert render_config("{{ '-'.join(trigger.s) }}", ctx) == "a-b-c"
    assert render_config("{{ (258).to_bytes(2, 'big')|list }}", ctx) == [1, 2]
    assert render_config("{{ nodes.find.records|string }}", ctx).startswith("[{")
    assert render_config("n={{ trigger.items }}", ctx) == "n=[1, 2, 3]"
