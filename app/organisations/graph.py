"""A small SVG drawing of a verdict's ownership paths, for the reviewer console."""

from __future__ import annotations

from html import escape
from typing import Any

_COLOURS = {"restricted": "#c62828", "review": "#ef8f00", "clear": "#607d8b"}
BOX_W, BOX_H, GAP_X, GAP_Y = 170, 44, 70, 24


def ownership_svg(
    target: str, paths: list[list[dict[str, Any]]], names: dict[str, str], status: dict[str, str]
) -> str:
    """Columns from the listed party (left) to the organisation (right); one box per entity,
    one arrow per holding labelled with its percentage."""
    depth: dict[str, int] = {target: 0}
    edges: dict[tuple[str, str], str] = {}
    for path in paths:
        for i, step in enumerate(path):
            distance = len(path) - i
            depth[step["owner"]] = max(depth.get(step["owner"], 0), distance)
            depth.setdefault(step["asset"], 0)
            edges[(step["owner"], step["asset"])] = str(step.get("pct", ""))
    columns = max(depth.values()) + 1
    rows: dict[int, list[str]] = {}
    for node, d in sorted(depth.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.setdefault(d, []).append(node)
    height = max(len(v) for v in rows.values()) * (BOX_H + GAP_Y) + GAP_Y
    width = columns * (BOX_W + GAP_X) + GAP_X
    pos: dict[str, tuple[int, int]] = {}
    for d, nodes in rows.items():
        x = GAP_X + (columns - 1 - d) * (BOX_W + GAP_X)
        for r, node in enumerate(nodes):
            pos[node] = (x, GAP_Y + r * (BOX_H + GAP_Y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" '
        'role="img" aria-label="ownership paths">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
    ]
    for (owner, asset), pct in edges.items():
        x1, y1 = pos[owner][0] + BOX_W, pos[owner][1] + BOX_H // 2
        x2, y2 = pos[asset][0], pos[asset][1] + BOX_H // 2
        parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#333" '
            'marker-end="url(#arrow)"/>'
        )
        parts.append(
            f'<text x="{(x1 + x2) // 2}" y="{(y1 + y2) // 2 - 4}" text-anchor="middle">'
            f"{escape(pct)}</text>"
        )
    for node, (x, y) in pos.items():
        colour = _COLOURS.get(status.get(node, "clear"), _COLOURS["clear"])
        label = names.get(node, node)
        label = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="#fff" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(f'<text x="{x + 8}" y="{y + 18}">{escape(label)}</text>')
        parts.append(
            f'<text x="{x + 8}" y="{y + 34}" fill="{colour}">'
            f"{escape(status.get(node, 'clear'))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
