"""The Markdown report renders to inert HTML: no link, image, raw HTML or escape sequence."""

from __future__ import annotations

import io

import pytest

from ircli.export.markdown import md
from ircli.services.export import export_timeline
from ircli.services.workspace import Workspace


def _render(text: str) -> str:
    from markdown_it import MarkdownIt

    # The most permissive common setup: raw HTML allowed, tables, bare URLs turned into links.
    renderer = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(
        ["table", "linkify"]
    )
    return renderer.render(text)


def test_report_renders_without_markup_from_the_journal(fixed_ws: Workspace, incident: str) -> None:
    out = io.StringIO()
    export_timeline(fixed_ws, incident, "md", out)
    page = _render(out.getvalue())
    for forbidden in ("<a ", "<img", "<script", "<b>bold", "onerror=alert(1)>", "<strong>bold"):
        assert forbidden not in page, forbidden
    assert "&lt;script&gt;" in page and "[click me](http" in page  # shown as typed
    assert "<table>" in page and "<h2>Decisions</h2>" in page


@pytest.mark.parametrize(
    "text",
    [
        "<script>x</script>",
        "[a](http://evil.example)",
        "![i](http://evil.example/i.png)",
        "http://evil.example/path",
        "www.evil.example",
        "a | b | c",
        "# heading",
        "`code` *em* _em_ ~~del~~",
        "<http://evil.example>",
        "line\nbreak\r\n- item",
        "\\[escaped\\](x)",
        "&lt;already&gt; &#60;x&#62;",
    ],
)
def test_md_escapes_hostile_text(text: str) -> None:
    html = _render(f"| cell |\n|---|\n| {md(text)} |\n\n{md(text)}\n")
    for forbidden in ("<a ", "<img", "<script", "<h1", "<code", "<em", "<s>", "<del", "<li"):
        assert forbidden not in html, (text, html)
    assert html.count("<td>") == 1  # the pipe did not split the cell


@pytest.mark.parametrize(
    "text", ["plain ascii", "tab\there", "é“", "\x1b[2J", "a\u202eb", "x" * 50]
)
def test_visible_matches_inert(text: str) -> None:
    from ircli.core.text import inert
    from ircli.export.fields import visible

    assert visible(text) == inert(text, keep_newlines=True)
    assert visible(text, 10) == inert(text, keep_newlines=True, limit=10)
