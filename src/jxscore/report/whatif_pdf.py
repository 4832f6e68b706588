"""whatif.pdf: baseline against scenario, who moved and why."""

from __future__ import annotations

from pathlib import Path

from jxscore.report.analysis_pdf import _HEAD, data_url, render

_WHATIF = _HEAD + """
<h2>情景设置</h2><p>{{ scenario }}</p>
<h2>基准与情景对比</h2>
<table class="detail"><thead><tr><th>设区市</th><th>基准总分</th><th>基准等级</th><th>基准排名</th>
<th>情景总分</th><th>情景等级</th><th>情景排名</th><th>变化</th></tr></thead><tbody>
{% for r in rows %}<tr{% if r.moved %} class="me"{% endif %}><td class="c">{{ r.city }}</td>
<td class="n">{{ r.bt }}</td><td class="c">{{ r.bg }}</td><td class="c">{{ r.br }}</td>
<td class="n">{{ r.t }}</td><td class="c">{{ r.g }}</td><td class="c">{{ r.r }}</td><td class="n">{{ r.d }}</td></tr>
{% endfor %}</tbody></table>
<h2>排名变化</h2><img src="{{ chart }}" style="width:120mm">
{% if movers %}<h2>变动原因</h2><ul>
{%- for m in movers %}<li><b>{{ m.city }}</b>：{{ m.why }}</li>{% endfor %}</ul>{% endif %}
</body></html>"""



def whatif_pdf(w, path: Path) -> None:
    from jxscore.report.analysis_charts import svg_bytes
    from jxscore.report.pdf import html_to_pdf
    from jxscore.report.whatif_charts import slope_chart

    rows = [{"city": r.city, "bt": f"{r.baseline_total:.2f}", "bg": r.baseline_grade, "br": r.baseline_rank,
             "t": f"{r.total:.2f}", "g": r.grade, "r": r.rank, "d": f"{r.delta_total:+.2f}", "moved": bool(r.moved)}
            for r in w.table.itertuples(index=False)]
    movers = [{"city": r.city, "why": r.why} for r in w.table.itertuples(index=False) if r.moved]
    html = render(_WHATIF, title="权重情景分析（what-if）", subtitle=f"{w.year}年度 · 指标得分系数不变，仅调整分值",
                   scenario=w.scenario.describe(), rows=rows, movers=movers,
                   chart=data_url(svg_bytes(slope_chart(w))))
    html_to_pdf(html, path)


