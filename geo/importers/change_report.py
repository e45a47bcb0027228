"""The change report of a street import, as lines of text (the command's dry run prints them)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def class_labels() -> dict[str, str]:
    return {
        "unchanged": _("未变"),
        "renumbered": _("其中重新编号"),
        "new": _("新增"),
        "retired": _("停用"),
        "split": _("拆分"),
        "merged": _("合并"),
        "redrawn": _("重绘"),
    }


def report_lines(counts: dict[str, int], claims: list[dict]) -> list[str]:
    """Counts per class, then every affected claim: pair, old segment → new segments, metres."""
    labels = class_labels()
    lines = [
        _("路网变化：")
        + "，".join(f"{labels[k]} {counts.get(k, 0)}" for k in labels if k in counts)
    ]
    if not claims:
        lines.append(_("没有认领受影响。"))
        return lines
    lines.append(_("受影响的认领 %(n)d 条：") % {"n": len(claims)})
    for row in claims:
        new = ", ".join(f"#{i}" for i in row["new_segments"]) or _("（无）")
        line = _(
            "%(pair)s：#%(old)s %(name)s（%(cls)s，%(old_m).0f 米）→ %(new)s，转移 %(carried).0f 米"
        ) % {
            "pair": row["pair_name"],
            "old": row["old_segment"],
            "name": row["old_name"] or _("无名街巷"),
            "cls": labels.get(row["class"], row["class"]),
            "old_m": row["old_m"],
            "new": new,
            "carried": row["carried_m"],
        }
        if row["not_carried_m"] > 1:
            line += _("，未转移 %(m).0f 米") % {"m": row["not_carried_m"]}
        lines.append(line)
    return lines
