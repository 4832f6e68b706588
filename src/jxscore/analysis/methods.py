"""The official weighted sum next to other aggregation methods (scikit-criteria), and why the
rankings differ: would a different, defensible way of combining the same fractions rank the cities
differently, or is a difference the work of a veto, a cap or the bonus?

Four rankings of the same cities, each one step further from the official rule (RULEBOOK §2):
1. `official_rank` — the official final rank: grade first (after caps and vetoes), then the total
   A+B+C+D, the A subtotal, intensity progress p and the administrative code.
2. `base_rank` — the same rule with every veto and cap switched off
   (`aggregate.evaluate(vetoes_off=all, caps_off=all)`): the grade is the base grade from the total
   alone. The base grade is a monotone step function of the rounded total, so "grade first" adds
   nothing here: this *is* the order by total (bonus D included), with §2's tie-breaks. It differs
   from 1. only where a city's own veto or cap lowered its grade (it falls behind cities with lower
   totals but better grades) or another city's did (that city falls behind it).
3. `score_rank` — the official weighted sum A+B+C (no bonus D, which is not a weighted indicator
   and is in no method's matrix), ties by administrative code. It differs from 2. only through D (or,
   in principle, through the tie-breaks: totals rounded to 2 decimals, then A and p).
4. `<method>_rank` — scikit-criteria's weighted product, TOPSIS and VIKOR on the same matrix and
   weights as 3.: only here does the aggregation itself differ.
`cause` and `attribution` (methods.csv, the PDF, the CLI) name, city by city, which of these steps
move it: 一票否决 / 等级封顶 (its own, 1.↔2.), 他市否决或封顶 (another city's, 1.↔2.), 加分项D or
并列处理 (2.↔3.), 汇总方法 (3.↔4.).

Decision matrix: cities × the weighted (non-bonus) indicators, values = fractions f ∈ [0, 1], all
"maximise", weights = rulebook points. A not-applicable cell is filled with the city's own weighted
mean fraction over its applicable indicators of the same category. Under a weighted sum this
reproduces §4 exactly (Σ w·f_filled = Pc·Σ_app w·f / Σ_app w), so the fill adds no information and
takes none away; for the other methods it is the neutral choice. Columns equal for every city are
dropped: they cannot change any of these methods' order (ideal = anti-ideal in TOPSIS/VIKOR, a common
factor in the product, a common term in the sum) and would divide by zero in VIKOR.

The official weighted sum is listed once ("score", A+B+C from the engine). scikit-criteria's
`WeightedSumModel` is still run on the matrix, as a silent cross-check that the matrix is the
official one: its scores (plus the dropped constant columns) must equal A+B+C to 1e-6, else
`MethodsCheckError` (a bug, exit 1); its pipeline is also the one the rank-reversal check runs for
"score". Keeping it costs nothing and catches a wrong fill or a wrong weight at once.

scikit-criteria ranks are dense (ties share a rank) and a NaN would silently zero a column, so the
matrix is checked here and every method's scores are ranked by our own rule: score (rounded to 9
decimals), then administrative code. skcriteria is imported only here, inside the functions (~3 s).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from jxscore.core.aggregate import Basis, evaluate
from jxscore.core.engine import Result
from jxscore.core.weights import filled_fractions, weighted_mask

WPM_FLOOR = 0.01  # added to a column holding a zero: a product with a zero factor ranks nothing
WSM_TOL = 1e-6  # scikit-criteria's weighted sum against the engine's A+B+C
METHODS = {  # name -> (label, short label for table heads, score direction: +1 = higher is better)
    "score": ("官方加权和 A+B+C", "官方加权和", 1),
    "weighted_product": ("加权乘积法 WPM", "加权乘积", 1),
    "topsis": ("逼近理想解排序法 TOPSIS", "TOPSIS", 1),
    "vikor": ("折衷排序法 VIKOR（Q，v = 0.5）", "VIKOR", -1),
}
OTHER = ["weighted_product", "topsis", "vikor"]  # the methods that are not the official rule
BASE_LABEL = "不计否决与封顶的官方排名"
TAU_TEXT = ("肯德尔τ：两种排名的一致程度，1为完全一致，0为无关，−1为完全相反；"
            "τ =（次序相同的市对数 − 次序相反的市对数）/ 市对总数（11个市共55对）。")
REVERSAL_TEXT = ("排序逆转检验（scikit-criteria RankInvariantChecker）：把一个非第一名的市的得分系数"
                 "改差（但仍优于原来排在它后面的一名），重新排名；每个非第一名的市各做一次。"
                 "最优保持率：原第一名仍排第一的变异占比；次序保持率：其余各市（被改差的市除外）"
                 "相对次序全部不变的变异占比。两者为1说明该方法不会因一个较差的市变得更差而改变排名。")

# Every column of the three CSVs: (name, Chinese label, one-line explanation) — the PDF's glossary
# and the README's paragraph; tests check both list every column.
COLUMNS = {
    "methods.csv": [
        ("city", "设区市", "设区市名称，按官方排名排列"),
        ("city_code", "行政区划代码", "六位行政区划代码，也是各排名最后的并列规则"),
        ("official_rank", "官方排名", "评分细则§2：先按考核等级（一票否决、等级封顶之后），"
                                     "再按总分、A类得分、能耗强度进度p、行政区划代码"),
        ("official_grade", "考核等级", "一票否决、等级封顶之后的等级"),
        ("official_total", "总分", "A+B+C+D，先取6位小数再四舍五入到2位"),
        ("vetoes", "一票否决", "适用的一票否决条款代码（V1、V2），空为无"),
        ("caps", "等级封顶", "适用的等级封顶条款代码（G1、G2），空为无"),
        ("base_grade", "基础等级", "仅按总分确定的等级（否决、封顶之前）"),
        ("base_rank", "不计否决封顶排名", "关闭全部一票否决与等级封顶后按§2排名；基础等级随总分单调，"
                                      "故即按总分（含加分项D）排名，并列按A类得分、p、行政区划代码"),
        ("bonus_D", "加分项D", "加分项得分（不是权重指标，不进入各方法的决策矩阵）"),
        ("score_ABC", "A+B+C", "官方加权和Σw·f（不含加分项D，6位小数），即各方法所用决策矩阵按官方分值求和；"
                               "scikit-criteria加权求和模型的结果已核对与之一致"),
        ("score_rank", "官方加权和排名", "按A+B+C排名，并列按行政区划代码"),
        ("weighted_product_score", "加权乘积得分", "Σw·lg f（权重归一化；含0的列先加0.01），越大越好"),
        ("weighted_product_rank", "加权乘积排名", "按加权乘积得分排名，并列按行政区划代码"),
        ("topsis_score", "TOPSIS贴近度", "到负理想解的距离 /（到理想解 + 到负理想解的距离），0–1，越大越好"),
        ("topsis_rank", "TOPSIS排名", "按贴近度排名，并列按行政区划代码"),
        ("vikor_score", "VIKOR Q值", "群体效用S与最大单项遗憾R的折衷（v = 0.5），0–1，越小越好"),
        ("vikor_rank", "VIKOR排名", "按Q值从小到大排名，并列按行政区划代码"),
        ("cause", "差异来源", "使各排名不同的原因：一票否决、等级封顶（本市的）、他市否决或封顶、加分项D、"
                             "并列处理、汇总方法；各排名相同为“无差异”"),
        ("attribution", "差异说明", "逐市说明各排名及差异来自哪一步"),
    ],
    "methods_correlations.csv": [
        ("method", "方法代码", "base、score、weighted_product、topsis、vikor"),
        ("label", "方法", "排名方法的中文名称"),
        ("kendall_tau_vs_official", "τ（对官方排名）", "与官方排名的肯德尔τ，1为完全一致"),
        ("p_value_vs_official", "p值（对官方排名）", "“两种排名无关”假设下得到至少如此一致的概率，越小越可信"),
        ("kendall_tau_vs_base", "τ（对不计否决封顶排名）", "与不计否决与封顶的官方排名的肯德尔τ"),
        ("p_value_vs_base", "p值（对不计否决封顶排名）", "同上，对不计否决与封顶的官方排名"),
        ("kendall_tau_vs_score", "τ（对官方加权和）", "与A+B+C排名的肯德尔τ：只反映汇总方法本身的差别"),
        ("p_value_vs_score", "p值（对官方加权和）", "同上，对A+B+C排名"),
        ("cities_moved_vs_official", "名次变动市数（对官方）", "名次与官方排名不同的市数"),
        ("max_rank_shift_vs_official", "最大名次差（对官方）", "与官方排名相差最多的名次数"),
        ("cities_moved_vs_score", "名次变动市数（对加权和）", "名次与A+B+C排名不同的市数"),
        ("max_rank_shift_vs_score", "最大名次差（对加权和）", "与A+B+C排名相差最多的名次数"),
    ],
    "methods_rank_reversal.csv": [
        ("method", "方法代码", "score（用scikit-criteria加权求和模型）、weighted_product、topsis、vikor"),
        ("label", "方法", "汇总方法的中文名称"),
        ("mutations", "变异次数", "被改差的次数：非第一名的市数 × 重复次数"),
        ("best_kept_rate", "最优保持率", "变异后原第一名仍排第一的比例（scikit-criteria的OPR）"),
        ("best_mean_displacement", "最优平均下移", "变异后原第一名平均下降的名次数（scikit-criteria的RD）"),
        ("order_kept_rate", "次序保持率", "变异后其余各市（被改差的市除外）两两相对次序全部不变的比例"),
    ],
}
CAUSES = ["一票否决", "等级封顶", "他市否决或封顶", "加分项D", "并列处理", "汇总方法"]


class MethodsCheckError(RuntimeError):
    """scikit-criteria's weighted sum is not the official A+B+C: the decision matrix is wrong (a bug)."""


@dataclass
class MethodsComparison:
    year: int
    table: pd.DataFrame  # methods.csv, official rank order
    correlations: pd.DataFrame  # methods_correlations.csv
    reversal: pd.DataFrame  # methods_rank_reversal.csv
    dropped: list[str]  # indicator columns equal for every city
    warnings: list


def decision_matrix(basis: Basis) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(n, k) fractions with N/A filled by the city's own category mean (`weights.filled_fractions`),
    (k,) points, codes — the weighted (non-bonus) indicators only."""
    wt = weighted_mask(basis)
    X = filled_fractions(basis)[:, wt]
    if not np.isfinite(X).all():  # skcriteria would turn a NaN column into zeros without a word
        raise ValueError("decision matrix has non-finite values (a fraction of an applicable indicator is NaN)")
    return X, basis.points[wt].astype(float), [c for c, t in zip(basis.codes, wt) if t]


def rank_scores(scores: np.ndarray, direction: int, entity_codes: list[str]) -> np.ndarray:
    """Unique ranks 1..n: by score (9 decimals; direction +1 = higher better), then entity code."""
    key = -direction * np.round(scores, 9)
    order = np.lexsort((np.array(entity_codes), key))
    ranks = np.empty(len(scores), dtype=int)
    ranks[order] = np.arange(1, len(scores) + 1)
    return ranks


def _pipelines() -> dict:
    from skcriteria.agg.simple import WeightedProductModel, WeightedSumModel
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.agg.vikor import VIKOR
    from skcriteria.pipelines import mkpipe
    from skcriteria.preprocessing.increment import AddValueToZero
    from skcriteria.preprocessing.push_negatives import PushNegatives
    from skcriteria.preprocessing.scalers import SumScaler, VectorScaler

    return {
        "score": WeightedSumModel(),  # f is already on one 0..1 scale: the official sum, as a check
        "weighted_product": mkpipe(PushNegatives(target="matrix"), AddValueToZero(value=WPM_FLOOR, target="matrix"),
                                   SumScaler(target="weights"), WeightedProductModel()),
        "topsis": mkpipe(VectorScaler(target="matrix"), SumScaler(target="weights"), TOPSIS()),
        "vikor": mkpipe(SumScaler(target="weights"), VIKOR(use_compromise_set=False)),
    }


def _score(name: str, res) -> np.ndarray:
    e = res.extra_
    return np.asarray({"score": e.get("score"), "weighted_product": e.get("score"),
                       "topsis": e.get("similarity"), "vikor": e.get("q_k")}[name], dtype=float)


def check_weighted_sum(wsm: np.ndarray, official: np.ndarray, entities: list[str]) -> None:
    """scikit-criteria's weighted sum must be the engine's A+B+C: else the matrix is not the official one."""
    bad = [f"{e} {a:.6f} ≠ {b:.6f}" for e, a, b in zip(entities, wsm, official) if not abs(a - b) <= WSM_TOL]
    if bad:
        raise MethodsCheckError("scikit-criteria's weighted sum differs from the official A+B+C (decision matrix "
                                "or weights wrong): " + "; ".join(bad))


def compare_methods(result: Result, *, seed: int = 0, repeat: int = 1, reversal: bool = True) -> MethodsComparison:
    import skcriteria as skc
    from scipy.stats import kendalltau

    b, ev = result.basis, result.evaluation
    X, w, codes = decision_matrix(b)
    official_sum = ev.category_scores[:, ~b.bonus].sum(axis=1)
    bonus = ev.category_scores[:, b.bonus].sum(axis=1)
    base = evaluate(b, vetoes_off=frozenset(b.veto_codes), caps_off=frozenset(b.cap_codes))
    keep = np.ptp(X, axis=0) > 1e-12
    dropped = [str(c) for c, k in zip(codes, keep) if not k]
    dm = skc.mkdm(X[:, keep], objectives=[max] * int(keep.sum()), weights=w[keep],
                  alternatives=list(b.entities), criteria=[c for c, k in zip(codes, keep) if k])
    pipes = _pipelines()
    grades = np.array(b.grade_names)
    table = pd.DataFrame({
        "city": b.entities, "city_code": b.entity_codes, "official_rank": ev.rank, "official_grade": grades[ev.grade],
        "official_total": ev.total,
        "vetoes": [tuple(c for c, f in zip(b.veto_codes, row) if f) for row in ev.vetoed],  # joined when written
        "caps": [tuple(c for c, f in zip(b.cap_codes, row) if f) for row in ev.capped],
        "base_grade": grades[base.grade], "base_rank": base.rank, "bonus_D": np.round(bonus, 6) + 0.0,
        "score_ABC": np.round(official_sum, 6), "score_rank": rank_scores(official_sum, 1, b.entity_codes)})
    for name, pipe in pipes.items():
        s = _score(name, pipe.evaluate(dm))
        if name == "score":  # the silent cross-check: add back the dropped constant columns
            check_weighted_sum(s + X[0, ~keep] @ w[~keep], official_sum, b.entities)
            continue
        table[f"{name}_score"] = np.round(s, 9) + 0.0
        table[f"{name}_rank"] = rank_scores(s, METHODS[name][2], b.entity_codes)
    causes, texts = attribute(table, b, ev)
    table["cause"], table["attribution"] = causes, texts
    corr = []
    ref = {k: table[f"{k}_rank"].to_numpy() for k in ("official", "base", "score")}
    for name in ["base", *METHODS]:
        r = table[f"{name}_rank"].to_numpy()
        row = {"method": name, "label": BASE_LABEL if name == "base" else METHODS[name][0]}
        for k in ("official", "base", "score"):
            t, p = kendalltau(ref[k], r)
            row[f"kendall_tau_vs_{k}"], row[f"p_value_vs_{k}"] = round(float(t), 6), round(float(p), 6)
        for k in ("official", "score"):
            row[f"cities_moved_vs_{k}"] = int((r != ref[k]).sum())
            row[f"max_rank_shift_vs_{k}"] = int(np.abs(r - ref[k]).max())
        corr.append(row)
    corr = pd.DataFrame(corr)[[c for c, _, _ in COLUMNS["methods_correlations.csv"]]]
    rev = rank_reversal(pipes, dm, seed=seed, repeat=repeat) if reversal else pd.DataFrame()
    table = table.sort_values("official_rank", kind="stable").reset_index(drop=True)
    table = table[[c for c, _, _ in COLUMNS["methods.csv"]]]
    return MethodsComparison(result.year, table, corr, rev, dropped, list(result.warnings))


# ---------------------------------------------------------------- why the ranks differ
def _names(t: pd.DataFrame, idx) -> str:
    return "、".join(t["city"].iloc[list(idx)])


def _crossed(a: np.ndarray, b: np.ndarray, i: int) -> tuple[list[int], list[int]]:
    """Cities behind i under ranking a and ahead of it under b, and the other way round (in b's order)."""
    ahead = sorted((j for j in range(len(a)) if a[j] > a[i] and b[j] < b[i]), key=lambda j: b[j])
    behind = sorted((j for j in range(len(a)) if a[j] < a[i] and b[j] > b[i]), key=lambda j: b[j])
    return ahead, behind


def _downgrade(t: pd.DataFrame, j: int) -> str:
    """"赣州（V2一票否决）": why city j's grade fell."""
    v, c = t["vetoes"].iloc[j], t["caps"].iloc[j]
    return f"{'、'.join(v)}一票否决" if v else f"{'、'.join(c)}等级封顶"


def attribute(t: pd.DataFrame, b: Basis, ev) -> tuple[list[str], list[str]]:
    """Per city (table order): the causes ("、"-joined, `CAUSES` order, or "无差异") and the sentence
    that says which step moves it — own veto/cap and other cities' vetoes/caps (official ↔ base
    rank), bonus D or tie rules (base ↔ A+B+C), the aggregation (A+B+C ↔ the other methods)."""
    R, Rb, Ra = (t[f"{k}_rank"].to_numpy() for k in ("official", "base", "score"))
    M = {m: t[f"{m}_rank"].to_numpy() for m in OTHER}
    D = t["bonus_D"].to_numpy()
    causes, texts = [], []
    for i in range(len(t)):
        found: list[str] = []
        size: dict[str, str] = {}  # step -> how far it moves the city
        v, c = t["vetoes"].iloc[i], t["caps"].iloc[i]
        g, g0 = t["official_grade"].iloc[i], t["base_grade"].iloc[i]
        ahead, behind = _crossed(Rb, R, i)  # lower totals now ahead (own downgrade); higher totals now behind
        step1 = []
        if v or c:
            how = _downgrade(t, i) + (f"（另有{'、'.join(c)}等级封顶）" if v and c else "")
            change = f"使等级由“{g0}”降为“{g}”" if g != g0 else f"，但等级按总分本已为“{g}”"
            tail = f"，按等级优先排在总分更低的{_names(t, ahead)}之后" if ahead else "，名次未因此下降"
            step1.append(how + change + tail)
        if behind:
            step1.append("、".join(f"{t['city'].iloc[j]}（{_downgrade(t, j)}）" for j in behind)
                         + "等级降低，按等级优先排到其后")
        if R[i] != Rb[i]:
            found.append(("一票否决" if v else "等级封顶") if ahead else "他市否决或封顶")
            if ahead and behind:
                found.append("他市否决或封顶")
            size["veto"] = f"第{Rb[i]}→第{R[i]}名"
        parts = [f"不计否决与封顶时按总分{t['official_total'].iloc[i]:.2f}排第{Rb[i]}"]
        if Ra[i] != Rb[i]:
            up, down = _crossed(Ra, Rb, i)
            others = up + down
            if any(D[j] != D[i] for j in others):
                found.append("加分项D")
                them = "、".join(f"{t['city'].iloc[j]}{D[j]:g}分" for j in others)
                parts.append(f"不含加分项D（本市{D[i]:g}分，{them}）的A+B+C官方加权和{t['score_ABC'].iloc[i]:.2f}"
                             f"排第{Ra[i]}")
            else:
                found.append("并列处理")
                parts.append(f"A+B+C官方加权和{t['score_ABC'].iloc[i]:.2f}排第{Ra[i]}（与{_names(t, others)}"
                             "的先后只由并列规则决定）")
            size["bonus"] = f"第{Ra[i]}→第{Rb[i]}名"
        else:
            parts.append(f"A+B+C官方加权和同为第{Ra[i]}")
        ranks = [int(M[m][i]) for m in OTHER]
        lo, hi = min(ranks + [int(Ra[i])]), max(ranks + [int(Ra[i])])
        if lo == hi:
            parts.append(f"{'、'.join(METHODS[m][1] for m in OTHER)}同为第{Ra[i]}")
        else:
            parts.append("、".join(f"{METHODS[m][1]}第{M[m][i]}" for m in OTHER))
            found.append("汇总方法")
        head = f"官方排名第{R[i]}（{g}）：" + "；".join(step1 + parts) + "。"
        found = [k for k in CAUSES if k in found]
        causes.append("、".join(found) or "无差异")
        steps = [f"{'、'.join(k for k in found if k in group)}（{size[key]}）"
                 for key, group in (("veto", CAUSES[:3]), ("bonus", CAUSES[3:5])) if key in size]
        if not found:
            end = "各排名一致。"
        elif not steps:
            end = (f"差异来自汇总方法本身（第{lo}–{hi}名）"
                   + ("，否决与封顶未改变其名次。" if step1 else "，与否决、封顶无关。"))
        elif "汇总方法" not in found:
            end = "差异来自" + "和".join(steps) + "，而非汇总方法。"
        else:
            moved = max(abs(int(R[i]) - int(Rb[i])), abs(int(Rb[i]) - int(Ra[i])))
            end = ("差异来自" + "和".join(steps) + f"；汇总方法不同{'只' if hi - lo < moved else ''}"
                   f"带来第{lo}–{hi}名的变动。")
        texts.append(head + end)
    return causes, texts


# ---------------------------------------------------------------- rank reversal
def rank_reversal(pipes: dict, dm, *, seed: int, repeat: int) -> pd.DataFrame:
    """scikit-criteria's rank-invariance test (Wang & Triantaphyllou criterion 1): worsen each
    non-best city and check the best one stays first (OPR) and the others keep their order."""
    import warnings

    from skcriteria.ranksrev import RankInvariantChecker

    rows = []
    for name, pipe in pipes.items():
        with warnings.catch_warnings():  # skcriteria 0.10 uses pandas' deprecated inplace= internally
            warnings.simplefilter("ignore", category=DeprecationWarning)
            warnings.simplefilter("ignore", category=FutureWarning)
            cmp = RankInvariantChecker(pipe, repeat=repeat, random_state=seed).evaluate(dm)
        ranks = list(cmp.named_ranks.values())
        ref = ranks[0]
        alts = list(ref.alternatives)
        ref_v = pd.Series(ref.values, index=alts)
        preserved = 0
        for r in ranks[1:]:
            mutated = r.extra_["rank_inv_check"]["mutated"]
            others = [a for a in alts if a != mutated and a in set(r.alternatives)]
            v = pd.Series(r.values, index=list(r.alternatives))
            a0, a1 = ref_v[others].to_numpy(), v[others].to_numpy()
            same = np.array_equal(np.sign(a0[:, None] - a0[None, :]), np.sign(a1[:, None] - a1[None, :]))
            preserved += int(same)
        n_mut = len(ranks) - 1
        rows.append({"method": name, "label": METHODS[name][0], "mutations": n_mut,
                     "best_kept_rate": round(float(cmp.extra_.opr), 6),
                     "best_mean_displacement": round(float(cmp.extra_.rd), 6),
                     "order_kept_rate": round(preserved / n_mut, 6) if n_mut else 1.0})
    return pd.DataFrame(rows)


def write_methods(m: MethodsComparison, out: Path) -> list[str]:
    from jxscore.io.writers import write_csv

    names = ["methods.csv", "methods_correlations.csv"]
    write_csv(m.table, out / "methods.csv")
    write_csv(m.correlations, out / "methods_correlations.csv")
    if not m.reversal.empty:
        write_csv(m.reversal, out / "methods_rank_reversal.csv")
        names.append("methods_rank_reversal.csv")
    return names
