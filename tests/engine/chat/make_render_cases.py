#!/usr/bin/env python3
"""Writes render_cases.json: small templates, one construct each, with the output (or the error)
of jinja2 configured as transformers configures it for chat templates (ImmutableSandboxedEnvironment,
trim_blocks, lstrip_blocks, loopcontrols, json.dumps-based tojson, raise_exception).
Requires jinja2 only. chat_template_unit_test.cc checks the C++ interpreter against the file."""
import json
import os

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                      sort_keys=sort_keys)


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                    extensions=[jinja2.ext.loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception

CTX = {"s": "  Hello, World  ", "n": 7, "f": 2.5, "l": [3, 1, 2], "e": [], "none": None,
       "d": {"b": 1, "a": "x", "C": [1, {"k": "v"}]}, "t": True,
       "msgs": [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"},
                {"role": "assistant", "content": "yo", "tool_calls": [{"name": "f"}]}],
       "u": "héllo wörld", "q": "it's \"q\"\n\t\x01"}

CASES = [
    # whitespace control
    "a  {% if t %}\n  b\n  {% endif %}\nc",
    "a\n    {% if t %}\nb{% endif %}   \nc",
    "a  {%- if t -%}  b  {%- endif -%}  c",
    "a  {{- n -}}  b {{ n }} c",
    "x\n  {%+ if t %}y{% endif +%}\nz",
    "x {# comment #}\ny\n  {#- c2 -#}  z",
    "{% raw %}{{ n }}{% endraw %}\n{{ n }}",
    "line\r\nnext\rlast\n",
    "keep\n\n",
    "{% for i in l %}\n  {{ i }}\n{% endfor %}\n",
    # literals and operators
    "{{ 1 + 2 * 3 - 4 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % -3 }} {{ 2 ** 3 ** 2 }} {{ 7.5 // 2 }}",
    "{{ 'a' ~ 1 ~ 2.0 ~ none ~ true }} {{ 'ab' * 2 }} {{ [1] * 2 }} {{ [1] + [2] }} {{ (1,) + (2,) }}",
    "{{ 1 == 1.0 }} {{ true == 1 }} {{ [1, 2] == [1, 2] }} {{ [1] == (1,) }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }}",
    "{{ 1 < n < 10 }} {{ 'ell' in s }} {{ 3 in l }} {{ 'a' in d }} {{ 'z' not in d }} {{ not e }}",
    "{{ e or 'x' }} {{ l and 'y' }} {{ 'p' if n > 5 else 'q' }} [{{ 'p' if false }}]",
    "{{ {'a': 1, 'b': [1, 2]} }} {{ [1, 'a', none, 1.5] }} {{ (1, 2) }} {{ () }} {{ 'x' 'y' }}",
    "{{ 0x1F }} {{ 1_000 }} {{ 1e3 }} {{ 1.5e-5 }} {{ 123456789.0 * 1e9 }} {{ 0.1 * 3 }}",
    "{{ 'tab\\there' }} {{ \"q\\\"s\" }} {{ '\\u00e9\\x41' }}",
    # access
    "{{ d.a }} {{ d['b'] }} {{ d.C[1].k }} {{ l[-1] }} {{ l[5] }}|{{ d.missing }}|{{ msgs[1].role }}",
    "{{ s[2:7] }} {{ s[::-1] }} {{ l[::2] }} {{ l[-2:] }} {{ u[1:4] }} {{ l[10:] }}",
    "{{ d.items() | list }} {{ d.keys() | list }} {{ d.values() | list }} {{ d.get('a') }} {{ d.get('z', 0) }} {{ d.get('z') }}",
    # statements
    "{% set x = 1 %}{% for i in l %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}",
    "{% set ns = namespace(total=0) %}{% for i in l %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "{% for i in l if i > 1 %}{{ loop.index }}/{{ loop.length }}{% endfor %}",
    "{% for i in l %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 2 %}{% break %}{% endif %}{{ i }}{% endfor %}",
    "{% for i in e %}x{% else %}none{% endfor %}",
    "{% for i in l %}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.cycle('a', 'b') }}{% endfor %}",
    "{% for i in l %}{{ loop.previtem }}-{{ loop.nextitem }},{% endfor %}",
    "{% if n > 10 %}a{% elif n > 5 %}b{% else %}c{% endif %}",
    "{% macro m(a, b='B') %}<{{ a }}{{ b }}{{ varargs }}{{ kwargs }}>{% endmacro %}{{ m(1) }}{{ m(1, 2) }}{{ m(1, b=3) }}{{ m(1, 2, 3, z=4) }}",
    "{% macro f(k) %}{% if k > 0 %}{{ k }}{{ f(k - 1) }}{% endif %}{% endmacro %}{{ f(3) }}",
    "{% set blk %}  inner {{ n }}  {% endset %}[{{ blk }}]{% filter upper %}up {{ n }}{% endfilter %}",
    "{% set x | trim %}  pad  {% endset %}[{{ x }}]",
    "{{ range(3) | list }} {{ range(1, 10, 4) | list }} {{ range(5, 0, -2) | list }} {{ dict(a=1) }}",
    "{{ raise_exception('bad ' ~ n) }}",
    # filters
    "{{ s | trim }}|{{ s | upper }}|{{ s | lower }}|{{ 'hELLO' | capitalize }}|{{ 'a-b c(d' | title }}",
    "{{ l | length }} {{ s | length }} {{ u | length }} {{ d | count }} {{ undefined_x | length }}",
    "{{ l | first }} {{ l | last }} {{ l | join(',') }} {{ msgs | join('|', attribute='role') }} {{ l | sum }} {{ l | min }} {{ l | max }}",
    "{{ ['b', 'A', 'c'] | sort }} {{ l | sort(reverse=true) }} {{ msgs | sort(attribute='role') | map(attribute='role') | list }}",
    "{{ ['a', 'A', 'b'] | unique | list }} {{ l | reverse | list }} {{ 'abc' | reverse }} {{ d | dictsort }} {{ d | items | list }}",
    "{{ msgs | selectattr('role', 'equalto', 'user') | list }} {{ msgs | rejectattr('tool_calls') | map(attribute='role') | join(',') }}",
    "{{ msgs | selectattr('tool_calls', 'defined') | list | length }} {{ l | select('odd') | list }} {{ l | reject('even') | list }} {{ l | map('string') | join('') }}",
    "{{ undefined_x | default('dv') }} {{ none | default('dv') }} {{ '' | default('dv', true) }} {{ s | d('no') }}",
    "{{ d | tojson }}|{{ q | tojson }}|{{ u | tojson }}|{{ l | tojson(indent=2) }}|{{ d | tojson(sort_keys=true) }}|{{ f | tojson }}",
    "{{ '42' | int }} {{ '4.9' | int }} {{ 'x' | int }} {{ 'x' | int(5) }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 3 | float }} {{ -4 | abs }}",
    "{{ 2.675 | round(2) }} {{ 3.14159 | round }} {{ 7 | round }} {{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(method='floor') }}",
    "{{ s | replace('l', 'L') }} {{ s | replace('l', '', 1) }} {{ n | string ~ '!' }} {{ '<a & b>' | e }} {{ 'x' | safe }}",
    "{{ 'a\\nb' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}",
    "{{ msgs | map(attribute='content') | list }} {{ msgs | map(attribute='nope', default='-') | list }}",
    # tests
    "{{ n is defined }} {{ zz is undefined }} {{ none is none }} {{ n is number }} {{ f is float }} {{ n is integer }} {{ t is boolean }}",
    "{{ s is string }} {{ d is mapping }} {{ l is iterable }} {{ l is sequence }} {{ n is odd }} {{ n is even }} {{ n is divisibleby(7) }}",
    "{{ n is eq 7 }} {{ n is ne 7 }} {{ n is lt 8 }} {{ n is gt 8 }} {{ n is le 7 }} {{ n is ge 8 }} {{ 1 is in l }} {{ 'abc' is lower }} {{ 'ABC' is upper }}",
    "{{ t is true }} {{ t is false }} {{ n is not none }} {{ range is callable }} {{ none is sameas none }}",
    # string methods
    "{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ 'xxaxx'.strip('x') }}|{{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a,b,c'.rsplit(',', 1) }}",
    "{{ s.startswith('  H') }} {{ s.endswith('d') }} {{ 'abc'.endswith(('x', 'c')) }} {{ s.replace(' ', '_') }} {{ 'ab ab'.title() }} {{ u.upper() }} {{ 'ABC'.lower() }}",
    "{{ 'hello'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.count('l') }} {{ '-'.join(['a', 'b']) }} {{ 'a\\nb\\r\\nc'.splitlines() }} {{ 'abc'.capitalize() }}",
    "{{ '123'.isdigit() }} {{ 'ab'.isalpha() }} {{ 'a1'.isalnum() }} {{ '  '.isspace() }} {{ 'AB'.isupper() }} {{ 'ab'.islower() }} {{ l.index(1) }} {{ l.count(3) }}",
    # errors
    "{{ zz.attr }}",
    "{{ msgs[9].role }}",
    "{{ 'a' + 1 }}",
    "{{ 1 / 0 }}",
    "{{ l.append(4) }}",
    "{{ zz() }}",
    "{{ d | tojson }}{{ zz | tojson }}",
    "{{ range(100001) | length }}",
    "{{ 'a' < 1 }}",
    "{{ none.x.y }}",
    "{% for a, b in l %}{% endfor %}",
]


def main():
    cases = []
    for source in CASES:
        case = {"template": source}
        try:
            case["expected"] = env.from_string(source).render(**CTX)
        except Exception as e:
            case["error"] = f"{type(e).__name__}: {e}"
        cases.append(case)
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "render_cases.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"context": CTX, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases, {sum('error' in c for c in cases)} errors")


if __name__ == "__main__":
    main()
