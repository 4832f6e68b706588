"""The card's words for `core.gaps`: 改进建议 sentences and what set off a veto or cap.

Numbers keep one format per quantity, as everywhere on the cards: points with 2 decimals,
percentages with 1–2 (`pct`), 万吨标准煤 with 2, other amounts as reported (up to 2).
"""

from __future__ import annotations

from jxscore.core.gaps import Shortfall, Step, Trigger
from jxscore.report.formats import amount, num, pct, short

TOP = 8  # improvement sentences per card; the rest are summed in one line

_QUANTITY = {"cumulative": "能耗强度累计降低", "annual": "能耗强度年度降低", "consumption": "调整后能源消费量"}


def _diff_unit(unit: str) -> str:
    return "个百分点" if unit == "%" else unit


def step_text(sf: Shortfall, st: Step, *, advice: bool) -> str:
    """"B6 …68.0%，目标72%，需再提高4.0个百分点" (advice) or "…，差4.0个百分点" (what triggered a cap)."""
    u, du = st.unit, _diff_unit(st.unit)
    a, need = amount(st.actual, st.unit), amount(st.need, st.unit)
    # the difference of the two figures as printed, so that the reader's subtraction agrees
    d = amount(max(0.0, (round(st.need, 2) - round(st.actual, 2)) * st.direction), st.unit)
    if st.quantity == "review":
        got = "专家评审扣分后得分" if sf.rule == "review_deduct" else "专家评审得分"
        return f"{got}{short(st.actual, 2)}分，满分{short(st.need, 2)}分"
    if st.quantity == "cumulative":
        return (f"{_QUANTITY['cumulative']}{a}%，序时进度要求{need}%，"
                + (f"需再提高{d}个百分点" if advice else f"差{d}个百分点"))
    if st.quantity == "annual":
        return (f"{_QUANTITY['annual']}{a}%，年度目标{need}%，"
                + (f"需再提高{d}个百分点" if advice else f"差{d}个百分点"))
    if st.quantity == "consumption":
        over = 100.0 * st.amount / st.need if st.need else 0.0
        return (f"{_QUANTITY['consumption']}{a}{u}，控制目标{need}{u}，"
                + (f"需减少{d}{du}" if advice else f"超出{d}{du}（{pct(over)}%）"))
    need = short(st.need, 2)  # a target as set (72, not 72.00)
    verb = ("提高" if st.direction > 0 else "降低") if st.unit == "%" else ("增加" if st.direction > 0 else "减少")
    if st.direction > 0:
        head = f"{a}{u}，目标{need}{u}"
        tail = f"需再{verb}{d}{du}" if advice else f"差{d}{du}"
        if not advice and st.unit != "%" and st.need:
            tail += f"（完成率{pct(100.0 * st.actual / st.need)}%）"
    else:
        head = f"{a}{u}，目标不高于{need}{u}"
        tail = f"需再{verb}{d}{du}" if advice else f"超出{d}{du}"
    return f"{head}，{tail}"


def improvement(sf: Shortfall) -> str:
    """One 改进建议 sentence for a lost indicator."""
    lead = f"{sf.indicator} {sf.name}"
    if sf.missing:
        body = "应报未报，按0分计；按时报送"
    elif not sf.steps:
        body = f"得{num(sf.points)}分（分值{num(sf.weight)}分）"
    else:
        parts = [step_text(sf, st, advice=True) for st in sf.steps]
        body = "；".join(parts)
    sep = "" if sf.steps and sf.steps[0].quantity == "value" else "："
    return f"{lead}{sep}{body}，可多得{num(sf.lost)}分"


def improvements(lost: list[Shortfall], top: int = TOP) -> dict:
    """The card's 改进建议: at most `top` sentences, the rest summed in one line."""
    head, rest = lost[:top], lost[top:]
    return {"sentences": [improvement(s) for s in head],
            "rest": (f"其余{len(rest)}项指标合计失分{num(sum(s.lost for s in rest))}分：" if rest else "")}


def trigger_text(t: Trigger) -> str:
    """What set off a veto or cap, with its figures ("A6 化学需氧量…2,380吨，目标2,560吨，差180吨（完成率93.0%）")."""
    if t.field is not None:
        return f"指标表“{t.field_label}”（{t.field}）填报为是"
    parts = []
    for sf in t.shortfalls:
        if sf.missing:
            parts.append(f"{sf.indicator} {sf.name}应报未报，按0分计")
            continue
        for st in sf.steps:
            sep = "" if st.quantity == "value" else "："
            parts.append(f"{sf.indicator} {sf.name}{sep}{step_text(sf, st, advice=False)}")
    return "；".join(parts)
