"""Rendering the hooks in ``shells/*.j2`` (and the shims of ``templates/``) with Jinja.

Only a cache miss of ``shimkit init`` and ``shims enable`` come here: importing jinja2 costs
~100 ms, which a shell start must not pay (:func:`shimkit.shell.init_text` reads the cached
text instead).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from .model.plainpin import PLAIN_IMPLEMENTATIONS, PLAIN_MAJORS, PLAIN_PRE_TAGS, PLAIN_VARIANTS, plain_pin_regex
from .shellquote import fish_quote, nu_quote, ps_quote, py_quote, sh_quote


def jinja_env(dirs: Sequence[Path]) -> Any:
    """The Jinja environment for shells/ and templates/ (quoting filters for every shell)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
        # `${#var}` is everyday shell: Jinja comments are {## … ##} here
        comment_start_string="{##",
        comment_end_string="##}",
    )
    env.filters.update(
        sh=sh_quote,
        shwords=lambda words: " ".join(sh_quote(w) for w in words),
        fish=fish_quote,
        fishwords=lambda words: " ".join(fish_quote(w) for w in words),
        nu=nu_quote,
        py=py_quote,
        py_list=lambda words: repr([str(w) for w in words]),
        ps=ps_quote,
        add_suffix=lambda s, suffix: f"{s}{suffix}",
    )
    # the plain-pin grammar, from its one definition (shimkit.model.request), for hooks and shims
    env.globals.update(
        plain_pin=plain_pin_regex,
        plain_impls=PLAIN_IMPLEMENTATIONS,
        plain_impl_map={s: impl for impl, spellings in PLAIN_IMPLEMENTATIONS for s in spellings},
        plain_variants=PLAIN_VARIANTS,
        plain_majors=PLAIN_MAJORS,
        plain_pre_tags=PLAIN_PRE_TAGS,
    )
    return env


def render_template(dirs: Sequence[Path], name: str, context: dict[str, Any]) -> str:
    """Render the template ``name`` found in ``dirs`` with ``context``."""
    text: str = jinja_env(dirs).get_template(name).render(**context)
    return text
