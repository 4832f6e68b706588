"""The one browser test of issue 15 (item 6), on Debian's chromium-headless-shell.

The round is collected and put up for 公示 through the core (issue 14's browser test covers that part); then
宜春 logs in and objects to its D1 row (国家级节能减排示范、试点, 1 个) with an evidence PDF through the real
form; the office, in a second browser context, enters 复查 once the window has closed on the fake clock,
accepts the objection with the corrected yichun.xlsx (指标 › D1 1 → 3) and re-scores; 宜春 then reads rank 1 on
its scorecard page. Hand-worked (tests/test_portal_review.py): 宜春 103.00 → 105.00 (D 3 → 5), rank 2 → 1,
南昌 103.34 rank 1 → 2. Screenshots in tmp_path and /tmp/shots/review-*.png.
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime
from pathlib import Path

import openpyxl
from sqlalchemy import select

from jxscore.portal import publish, rounds
from jxscore.portal.clock import CST, FakeClock
from jxscore.portal.db import sessions, transaction
from jxscore.portal.models import User
from portal_util import RETURNS, SLUGS, START, add, new_engine

WAIT = 900.0  # seconds at most for the re-score to render (as the HTTP tests allow)
SHOTS = Path("/tmp/shots")
WINDOW_END = datetime(2025, 3, 17, 0, 0, tzinfo=CST)  # 24:00 of 2025-03-16 北京时间


def _sign_in(page, base: str, name: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form[action='/login'] button[type=submit]")


def _cells(page, table: str) -> list[list[str]]:
    return [[td.inner_text() for td in tr.locator("td").all()] for tr in page.locator(f"{table} tbody tr").all()]


def _corrected_yichun(tmp: Path) -> Path:
    p = tmp / "yichun.xlsx"
    shutil.copy(RETURNS / "yichun.xlsx", p)
    wb = openpyxl.load_workbook(p)
    row = next(r for r in wb["指标"].iter_rows(min_row=2) if r[0].value == "D1")
    assert row[4].value == 1
    row[4].value = 3
    wb.save(p)
    return p


def test_city_objects_office_accepts_and_re_scores_city_sees_rank_1(chromium, browser_page, live_server, tmp_path):
    from browser import collect_errors, new_page

    SHOTS.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> None:
        path = tmp_path / f"review-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, SHOTS / path.name)

    eng = new_engine("sqlite", tmp_path)
    clock = FakeClock(START)
    office_pw = add(eng, "kb", "office", clock=clock)
    yc_pw = add(eng, "yichun", "city", "宜春", clock=clock)
    f = sessions(eng)
    with transaction(f) as s:
        kb_user = s.scalar(select(User).where(User.name == "kb"))
        rnd = rounds.open_round(s, clock(), 2024, None, (RETURNS / "office.xlsx").read_bytes(), kb_user)
        for city, slug in SLUGS.items():
            rounds.submit(s, clock(), rnd, city, f"{slug}.xlsx", (RETURNS / f"{slug}.xlsx").read_bytes(), kb_user)
        rounds.lock(s, clock(), rnd, kb_user)
        pid = publish.start_publication(s, clock(), rnd, kb_user).id
    assert publish.run_publication(f, pid, clock, window_end=WINDOW_END).status == "done"
    from jxscore.web.app import create_app

    app = create_app(engine=eng, clock=clock)
    base = live_server(app)

    # --- 宜春 files an objection to its D1 row with an evidence PDF, through the form
    yc = browser_page
    yc_errors = collect_errors(yc)
    _sign_in(yc, base, "yichun", yc_pw)
    yc.goto(base + "/2024/yichun/")
    assert yc.locator(".city-summary .big").nth(2).inner_text() == "2"
    yc.goto(base + "/2024/yichun/objections")
    assert "公示期至 2025-03-16 24:00（北京时间）截止" in yc.locator("p.window").inner_text()
    yc.select_option("select[name=target]", "ledger:D1")
    yc.fill("textarea[name=text]", "我市2024年新获批国家级节能减排示范试点2个，累计3个，批复文件见附件。")
    yc.set_input_files("input[name=evidence]", files=[{"name": "示范试点批复.pdf", "mimeType": "application/pdf",
                                                       "buffer": b"%PDF-1.4\n% evidence\n%%EOF\n"}])
    shot(yc, "00-city-objection-form")
    with yc.expect_navigation():
        yc.click("form.objection button[type=submit]")
    assert "/2024/yichun/objections/" in yc.url
    assert yc.locator(".objection-detail .badge").first.inner_text() == "待答复"
    assert yc.locator("table.evidence tbody tr").count() == 1
    assert "示范试点批复.pdf" in yc.locator("table.evidence").inner_text()
    shot(yc, "01-city-objection")

    # --- the office: the window closes (fake clock), 复查, accept with the corrected workbook, re-score
    clock.now = WINDOW_END
    kb = new_page(chromium)
    kb_errors = collect_errors(kb)
    _sign_in(kb, base, "kb", office_pw)
    kb.goto(base + "/office/2024/review")
    with kb.expect_navigation():
        kb.click("#v1 form.stage button[type=submit]")  # 进入复查
    assert kb.locator("#v1 h2 .badge").inner_text() == "复查"
    kb.check("form.answer input[name=decision][value=accept]")
    kb.set_input_files("form.answer input[name=correction]", str(_corrected_yichun(tmp_path)))
    kb.fill("form.answer textarea[name=reason]", "经核实，国家发展改革委2024年批复宜春2个示范试点，累计3个。")
    shot(kb, "02-office-answering")
    with kb.expect_navigation():
        kb.click("form.answer button[type=submit]")
    assert "采纳" in kb.locator("article.objection .badge").inner_text()
    with kb.expect_navigation():
        kb.click("form[action='/office/2024/v1/rescore'] button[type=submit]")
    deadline = time.monotonic() + WAIT
    diff_link = kb.locator("a[href='/office/2024/v1/r2/diff']")
    while not diff_link.count():
        assert time.monotonic() < deadline, "the re-score did not finish in time"
        kb.wait_for_timeout(500)  # progress.js polls the status and reloads the page when it is done
        if kb.locator("[data-status-url]").count() == 0 and not diff_link.count():
            kb.reload()
    shot(kb, "03-office-review")
    with kb.expect_navigation():
        diff_link.click()
    cities = _cells(kb, "table.diff-cities")
    assert cities == [["南昌", "103.34 → 103.34", "超额完成 → 超额完成", "1 → 2"],
                      ["宜春", "103.00 → 105.00", "超额完成 → 超额完成", "2 → 1"]]
    rows = _cells(kb, "table.diff-ledger")
    assert len(rows) == 1 and rows[0][:4] == ["宜春", "D1 国家级节能减排示范、试点", "1 → 3", "1.00 → 3.00"]
    assert rows[0][6].startswith("异议#")
    shot(kb, "04-office-diff")

    # --- 宜春 sees its new rank
    yc.goto(base + "/2024/yichun/")
    assert yc.locator(".city-summary .big").first.inner_text() == "105.00"
    assert yc.locator(".city-summary .big").nth(2).inner_text() == "1"
    shot(yc, "05-city-scorecard")
    yc.goto(base + "/2024/yichun/changes")
    assert "103.00 → 105.00" in yc.locator("table.diff-cities").inner_text()
    shot(yc, "06-city-changes")
    kb.context.close()
    assert yc_errors == [] and kb_errors == []  # no CSP refusals, no script errors
