"""The HTML report: self-contained, inert, and it renders in a real headless browser."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ircli.services.export import export_timeline
from ircli.services.workspace import Workspace

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
URL_ATTRS = {
    "src",
    "href",
    "action",
    "formaction",
    "srcset",
    "poster",
    "data",
    "xlink:href",
    "background",
    "ping",
    "manifest",
    "cite",
    "longdesc",
}


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.references: list[str] = []
        self.handlers: list[str] = []
        self.css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in URL_ATTRS:
                self.references.append(f"{tag}[{name}]={value}")
            if name.startswith("on"):
                self.handlers.append(f"{tag}[{name}]")
            if name == "style" and value:
                self.css.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css.append(data)


@pytest.fixture
def report(fixed_ws: Workspace, incident: str, tmp_path: Path) -> Path:
    out = tmp_path / "report.html"
    export_timeline(fixed_ws, incident, "html", out)
    return out


def test_page_references_no_external_url(report: Path) -> None:
    parser = _Elements()
    parser.feed(report.read_text(encoding="utf-8"))
    assert parser.references == [], "the report must load nothing"
    assert not [c for c in parser.css if re.search(r"url\(|@import", c)]
    assert {"script", "iframe", "object", "embed", "link", "img", "base", "form"}.isdisjoint(
        parser.tags
    )
    assert "svg" in parser.tags  # the charts are inline


def test_attacker_text_is_escaped(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    parser = _Elements()
    parser.feed(page)
    assert parser.handlers == [], "no event handler attribute may appear"
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page
    assert "\x1b" not in page and "\x07" not in page
    assert "␛]52;c;" in page  # the escape sequence is shown, not obeyed


def test_report_sections(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    for section in (
        "summary",
        "charts",
        "decisions",
        "actions",
        "evidence",
        "analysis",
        "reports",
        "timeline",
    ):
        assert f'<section id="{section}">' in page
    assert page.count("TLP:AMBER") >= 2  # banner at the top and the bottom
    assert "confirmed campaign" in page and ">bob<" in page  # decision and its approver
    assert "a" * 64 in page  # evidence hash
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def _render(page: Path, shot: Path) -> str:
    assert CHROMIUM, "chromium is installed by scripts/system-deps.sh (make test)"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1280,2000",
                f"--screenshot={shot}",
                page.as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def _page_problems(log: str) -> list[str]:
    """Console messages and blocked loads from chromium's log (browser noise excluded)."""
    return [
        line
        for line in log.splitlines()
        if "CONSOLE" in line or "Refused to" in line or "net::ERR" in line
    ]


@pytest.mark.skipif(
    CHROMIUM is None, reason="chromium missing: run make test (scripts/system-deps.sh)"
)
def test_renders_in_headless_chromium_without_console_errors(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    log = _render(report, shot)
    assert _page_problems(log) == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


NEEDS_CHROMIUM = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium missing: run make test (scripts/system-deps.sh)"
)


@NEEDS_CHROMIUM
@pytest.mark.parametrize(
    "body",
    ["<script>console.error('boom')</script>", '<img src="http://192.0.2.1/x.png">'],
)
def test_the_console_check_sees_errors(tmp_path: Path, body: str) -> None:
    """The detector above is not blind: a script error or a blocked load trips it."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<html><head><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        f"script-src 'unsafe-inline'\"></head><body>{body}</body></html>"
    )
    assert _page_problems(_render(bad, tmp_path / "bad.png"))
