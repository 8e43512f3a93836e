"""Colour contrast of the portal stylesheet (WCAG 2.1, 1.4.3 and 1.4.11), computed from
certdesk.css itself: its :root colour variables in the pairs the pages use, and every rule
that sets both a text colour and a background. No browser, no external service."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import certdesk.web

CSS = Path(certdesk.web.__file__).resolve().parent / "static" / "web" / "certdesk.css"
TEXT = 4.5   # WCAG AA, normal-size text (1.4.3)
NON_TEXT = 3.0  # focus rings, input borders (1.4.11)


def _stylesheet() -> str:
    return re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)


def variables() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", _stylesheet(), re.S).group(1)
    return {name: value.strip() for name, value in re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", root)}


def resolve(value: str, names: dict[str, str]) -> str:
    for _ in range(5):
        value = re.sub(r"var\((--[\w-]+)\)", lambda m: names.get(m.group(1), m.group(0)), value).strip()
    return value


def rgb(value: str) -> tuple[float, float, float] | None:
    value = value.strip().lower()
    if value in ("#fff", "white"):
        value = "#ffffff"
    if value in ("#000", "black"):
        value = "#000000"
    match = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", value)
    if not match:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))


def luminance(color: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in color)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(rgb(a)), luminance(rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_the_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)


# (foreground, background, minimum, where the pair appears)
PAIRS = [
    ("--ink", "--paper", TEXT, "text on cards and forms"),
    ("--ink", "--canvas", TEXT, "text on the page background"),
    ("--ink-soft", "--paper", TEXT, "help text, secondary text"),
    ("--ink-soft", "--canvas", TEXT, "secondary text on the page background"),
    ("--ink-soft", "--muted-soft", TEXT, "neutral badges"),
    ("--accent", "--paper", TEXT, "links, secondary buttons"),
    ("--accent", "--canvas", TEXT, "links on the page background"),
    ("--accent", "--accent-soft", TEXT, "current menu entry, hovered secondary button"),
    ("--accent-ink", "--accent", TEXT, "primary buttons"),
    ("--topbar-ink", "--topbar", TEXT, "the top bar"),
    ("--ok", "--ok-soft", TEXT, "green badges and success messages"),
    ("--ok", "--paper", TEXT, "green text"),
    ("--warn", "--warn-soft", TEXT, "amber badges and notices"),
    ("--danger", "--danger-soft", TEXT, "red badges and form errors"),
    ("--danger", "--paper", TEXT, "field errors, danger buttons"),
    ("--paper", "--danger", TEXT, "danger buttons"),
    ("--focus", "--paper", NON_TEXT, "focus ring"),
    ("--focus", "--canvas", NON_TEXT, "focus ring on the page background"),
    ("--focus-on-dark", "--topbar", NON_TEXT, "focus ring in the top bar"),
    ("--line-strong", "--paper", NON_TEXT, "input borders"),
]


@pytest.mark.parametrize("foreground, background, minimum, where", PAIRS, ids=[p[3] for p in PAIRS])
def test_variable_pairs_meet_wcag_aa(foreground, background, minimum, where):
    names = variables()
    fg, bg = resolve(f"var({foreground})", names), resolve(f"var({background})", names)
    assert rgb(fg) and rgb(bg), (fg, bg)
    ratio = contrast(fg, bg)
    assert ratio >= minimum, f"{where}: {foreground} {fg} on {background} {bg} is {ratio:.2f}:1 < {minimum}:1"


def rules_with_colour_and_background() -> list[tuple[str, str, str]]:
    names = variables()
    found = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", _stylesheet()):
        declarations = dict((k.strip(), v.strip()) for k, v in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body))
        color = declarations.get("color")
        background = declarations.get("background-color") or declarations.get("background")
        if not color or not background:
            continue
        fg, bg = resolve(color, names), resolve(background.split()[0], names)
        if rgb(fg) and rgb(bg):
            found.append((" ".join(selectors.split()), fg, bg))
    return found


def test_every_rule_setting_text_and_background_meets_wcag_aa():
    rules = rules_with_colour_and_background()
    assert len(rules) >= 10  # the parser does find the stylesheet's rules
    failing = [f"{selector}: {fg} on {bg} = {contrast(fg, bg):.2f}:1" for selector, fg, bg in rules
               if contrast(fg, bg) < TEXT]
    assert failing == []


def test_text_colours_in_the_top_bar_meet_wcag_aa():
    """Rules under the dark top bar that set only a text colour are read against it."""
    names = variables()
    topbar = resolve("var(--topbar)", names)
    checked, failing = 0, []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", _stylesheet()):
        selector = " ".join(selectors.split())
        if not selector.startswith((".topbar", ".brand")):
            continue
        declarations = dict((k.strip(), v.strip()) for k, v in re.findall(r"([\w-]+)\s*:\s*([^;]+)", body))
        color = declarations.get("color")
        if not color or "background" in declarations or "background-color" in declarations:
            continue
        fg = resolve(color, names)
        if rgb(fg):
            checked += 1
            if contrast(fg, topbar) < TEXT:
                failing.append(f"{selector}: {fg} on {topbar} = {contrast(fg, topbar):.2f}:1")
    assert checked >= 3 and failing == []
