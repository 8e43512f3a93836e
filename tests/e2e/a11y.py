"""Accessibility checks run inside the page (issue 8): labels, names, alt texts, heading order,
ids, and keyboard reachability. Plain DOM rules, no external service."""
from __future__ import annotations

AUDIT_JS = r"""
() => {
  const problems = [];
  const text = (el) => (el ? (el.textContent || "").replace(/\s+/g, " ").trim() : "");
  const describe = (el) => {
    const id = el.id ? "#" + el.id : "";
    const name = el.getAttribute("name") ? "[name=" + el.getAttribute("name") + "]" : "";
    return "<" + el.tagName.toLowerCase() + id + name + ">";
  };
  const inClosedDialog = (el) => { const d = el.closest("dialog"); return d && !d.open; };
  const byIds = (value) => (value || "").split(/\s+/).filter(Boolean).map((id) => document.getElementById(id));
  const labelledBy = (el) => byIds(el.getAttribute("aria-labelledby")).map(text).join(" ").trim();
  const imageNames = (el) => Array.from(el.querySelectorAll("img[alt]")).map((i) => i.alt).join(" ").trim();
  const accessibleName = (el) => {
    if (el.getAttribute("aria-labelledby")) return labelledBy(el);
    if ((el.getAttribute("aria-label") || "").trim()) return el.getAttribute("aria-label").trim();
    if (el.labels && el.labels.length) {
      const joined = Array.from(el.labels).map(text).join(" ").trim();
      if (joined) return joined;
    }
    if (["A", "BUTTON", "SUMMARY"].includes(el.tagName)) return (text(el) || imageNames(el)).trim();
    if (el.tagName === "INPUT" && ["submit", "button", "reset"].includes(el.type)) return (el.value || "").trim();
    return (el.getAttribute("title") || "").trim();
  };

  if (!(document.documentElement.getAttribute("lang") || "").trim()) problems.push("<html> has no lang");
  if (!document.title.trim()) problems.push("the page has no <title>");

  const controls = document.querySelectorAll(
    "input:not([type=hidden]), select, textarea, button, a[href], summary, [role=button], [role=link]");
  for (const el of controls) {
    if (inClosedDialog(el)) continue;
    if (!accessibleName(el)) problems.push("no accessible name: " + describe(el) + " " + el.outerHTML.slice(0, 120));
  }
  for (const img of document.querySelectorAll("img")) {
    if (!img.hasAttribute("alt")) problems.push("image without alt: " + img.outerHTML.slice(0, 120));
  }
  for (const canvas of document.querySelectorAll("canvas")) {
    if (!accessibleName(canvas) && !text(canvas)) problems.push("canvas without a text alternative: " + describe(canvas));
  }
  for (const svg of document.querySelectorAll("svg[role=img]")) {
    if (!accessibleName(svg) && !text(svg.querySelector("title"))) problems.push("svg image without a name");
  }

  const seen = new Map();
  for (const el of document.querySelectorAll("[id]")) {
    if (seen.has(el.id)) problems.push("duplicate id: " + el.id);
    seen.set(el.id, el);
  }
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls"]) {
    for (const el of document.querySelectorAll("[" + attr + "]")) {
      // a closed <dialog> is not exposed: its title arrives with the fragment that opens it
      if (inClosedDialog(el) || (el.tagName === "DIALOG" && !el.open)) continue;
      for (const id of el.getAttribute(attr).split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(attr + " points to a missing id: " + id + " on " + describe(el));
      }
    }
  }
  for (const label of document.querySelectorAll("label[for]")) {
    if (!document.getElementById(label.htmlFor)) problems.push("label for a missing id: " + label.htmlFor);
  }

  const headings = Array.from(document.querySelectorAll("h1, h2, h3, h4, h5, h6")).filter((h) => !inClosedDialog(h));
  const levels = headings.map((h) => Number(h.tagName[1]));
  if (levels.filter((l) => l === 1).length !== 1) problems.push("expected exactly one h1, found " + levels.filter((l) => l === 1).length);
  if (levels.length && levels[0] !== 1) problems.push("the first heading is h" + levels[0] + ", not h1");
  for (let i = 1; i < levels.length; i++) {
    if (levels[i] > levels[i - 1] + 1) {
      problems.push("heading level skipped: h" + levels[i - 1] + " then h" + levels[i] + " (" + text(headings[i]).slice(0, 60) + ")");
    }
  }
  for (const h of headings) if (!text(h)) problems.push("empty heading: " + describe(h));
  if (!document.querySelector("main")) problems.push("no <main> landmark");
  return problems;
}
"""

FOCUS_JS = r"""
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
  const box = el.getBoundingClientRect();
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    name: (el.getAttribute("aria-label") || el.textContent || el.value || "").replace(/\s+/g, " ").trim().slice(0, 80),
    ring: ring,
    visible: box.width > 0 && box.height > 0,
  };
}
"""


def audit(page) -> list[str]:
    return page.evaluate(AUDIT_JS)


def focused(page) -> dict | None:
    return page.evaluate(FOCUS_JS)


def tab_until(page, predicate, limit: int = 80) -> list[dict]:
    """Press Tab until `predicate(focused element info)` is true; return every stop on the way.
    Fails when the target is never reached or a stop has no visible focus indicator."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        info = focused(page)
        if info is None:
            continue
        stops.append(info)
        assert info["ring"], f"no visible focus indicator on {info}"
        if predicate(info):
            return stops
    raise AssertionError(f"not reached with {limit} presses of Tab; stops: {[s['name'] for s in stops]}")
