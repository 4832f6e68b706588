"""The review cycle's rules on a controllable clock (no sleeping): stage order, the 公示 window, objections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from jxscore.portal import files
from jxscore.portal.clock import CST, FakeClock, cst
from jxscore.portal.db import sessions, transaction
from jxscore.portal.models import Publication, Round, User
from jxscore.portal.review import (
    ReviewError,
    Target,
    answer_objection,
    enter_stage,
    file_objection,
    may_publish_new_version,
    stage_of,
    window_end,
    window_end_for,
)
from portal_util import add, new_engine

PDF = b"%PDF-1.7\n% evidence\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
T0 = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)  # 2025-03-03 10:00 北京时间
TARGETS = [Target("ledger:A8", "A8 非化石能源消费比重 实际11.2%"), Target("finding:P-DUP:XM3603001", "P-DUP 重复计算")]


@pytest.fixture
def env(tmp_path):
    eng = new_engine("sqlite", tmp_path)
    add(eng, "office", "office")
    add(eng, "px", "city", "萍乡")
    f = sessions(eng)
    with transaction(f) as s:
        crit = files.put(s, b"criteria", "text/plain", T0)
        r = Round(year=2024, state="locked", criteria_file_id=crit.id, opened_at=T0)
        s.add(r)
        s.flush()
        s.add(Publication(round_id=r.id, version=1, revision=1, status="done", created_at=T0))
    return f


def _get(s):
    return (s.scalar(select(Round)), s.scalar(select(User).where(User.name == "office")),
            s.scalar(select(User).where(User.name == "px")))


def test_window_ends_at_midnight_beijing_time_of_the_15th_day():
    end = window_end_for(T0.astimezone(CST).date())
    assert end == datetime(2025, 3, 19, 0, 0, tzinfo=CST)  # 3 March + 15 days = 18 March, all of it
    assert end.astimezone(UTC) == datetime(2025, 3, 18, 16, 0, tzinfo=UTC)
    assert cst(end) == "2025-03-19 00:00"


def test_stages_only_go_forward_in_order(env):
    clock = FakeClock(T0)
    with transaction(env) as s:
        r, office, _ = _get(s)
        with pytest.raises(ReviewError) as e:
            enter_stage(s, clock(), r, 1, "复查", office)
        assert e.value.problems[0].code.value == "stage-order"
        assert e.value.problems[0].params["expected"] == "公示"
        enter_stage(s, clock(), r, 1, "公示", office)
        assert stage_of(s, r, 1) == "公示"
        assert window_end(s, r, 1) == datetime(2025, 3, 19, 0, 0, tzinfo=CST)
    clock.now = datetime(2025, 3, 18, 15, 59, 59, tzinfo=UTC)  # 23:59:59 on the last day
    with transaction(env) as s:
        r, office, _ = _get(s)
        with pytest.raises(ReviewError) as e:
            enter_stage(s, clock(), r, 1, "复查", office)
        assert e.value.problems[0].code.value == "window-still-open"
    clock.advance(seconds=1)
    with transaction(env) as s:
        r, office, _ = _get(s)
        enter_stage(s, clock(), r, 1, "复查", office)
        for back in ("公示", "复查"):
            with pytest.raises(ReviewError):
                enter_stage(s, clock(), r, 1, back, office)
        with pytest.raises(ReviewError) as e:
            enter_stage(s, clock(), r, 1, "公告", office)  # 审定 cannot be skipped
        assert e.value.problems[0].params == {"current": "复查", "expected": "审定"}
        enter_stage(s, clock(), r, 1, "审定", office)
        enter_stage(s, clock(), r, 1, "公告", office)
        with pytest.raises(ReviewError) as e:
            enter_stage(s, clock(), r, 1, "公告", office)
        assert stage_of(s, r, 1) == "公告"


def test_objection_in_time_is_filed_with_evidence_and_one_after_the_window_is_refused(env):
    clock = FakeClock(T0)
    with transaction(env) as s:
        r, office, px = _get(s)
        enter_stage(s, clock(), r, 1, "公示", office)
    clock.now = datetime(2025, 3, 18, 15, 59, tzinfo=UTC)  # 23:59 on the last day: still in time
    with transaction(env) as s:
        r, office, px = _get(s)
        o = file_objection(s, clock(), r, 1, "萍乡", "ledger:A8", TARGETS, "A8应为12%", [("../../证明.pdf", PDF),
                                                                                  ("scan.png", PNG)], px)
        assert (o.status, o.target_label, [f.label for f in o.files]) == ("open", TARGETS[0].label,
                                                                         ["证明.pdf", "scan.png"])
        assert [f.file.sha256 for f in o.files] == [files.sha256(PDF), files.sha256(PNG)]
    clock.advance(minutes=1)  # 2025-03-19 00:00 北京时间
    with transaction(env) as s:
        r, office, px = _get(s)
        with pytest.raises(ReviewError) as e:
            file_objection(s, clock(), r, 1, "萍乡", "ledger:A8", TARGETS, "迟到的异议", [], px)
        assert e.value.problems[0].code.value == "window-closed"
        assert e.value.problems[0].params["end"] == "2025-03-18 24:00"


def test_objection_problems_are_all_found_at_once(env):
    clock = FakeClock(T0)
    with transaction(env) as s:
        r, office, px = _get(s)
        enter_stage(s, clock(), r, 1, "公示", office)
        with pytest.raises(ReviewError) as e:
            file_objection(s, clock(), r, 1, "萍乡", "ledger:B1", TARGETS, "  ",
                           [("a.exe", b"MZ\x90"), ("b.pdf", PDF), ("c.pdf", PDF), ("d.pdf", PDF), ("e.pdf", PDF),
                            ("f.pdf", b"")], px)
        assert sorted(p.code.value for p in e.value.problems) == [
            "evidence-count", "evidence-type", "objection-target", "objection-text", "upload-empty"]


def test_answers_need_a_reason_or_a_correction_and_approval_needs_all_answered(env):
    clock = FakeClock(T0)
    with transaction(env) as s:
        r, office, px = _get(s)
        enter_stage(s, clock(), r, 1, "公示", office)
        o1 = file_objection(s, clock(), r, 1, "萍乡", "ledger:A8", TARGETS, "理由一", [], px).id
        o2 = file_objection(s, clock(), r, 1, "萍乡", "finding:P-DUP:XM3603001", TARGETS, "理由二", [], px).id
    clock.advance(days=16)
    with transaction(env) as s:
        r, office, px = _get(s)
        enter_stage(s, clock(), r, 1, "复查", office)
        from jxscore.portal.models import Objection

        a, b = s.get(Objection, o1), s.get(Objection, o2)
        refusals = ((False, " ", None, "reason-required"), (True, "", None, "correction-required"))
        for accept, reason, fix, code in refusals:
            with pytest.raises(ReviewError) as e:
                answer_objection(s, clock(), r, a, accept, reason, fix, office)
            assert e.value.problems[0].code.value == code
        answer_objection(s, clock(), r, a, False, "统计局数据为准", None, office)
        with pytest.raises(ReviewError) as e:
            answer_objection(s, clock(), r, a, False, "again", None, office)
        assert e.value.problems[0].code.value == "objection-answered"
        with pytest.raises(ReviewError) as e:
            enter_stage(s, clock(), r, 1, "审定", office)
        assert (e.value.problems[0].code.value, e.value.problems[0].value) == ("objections-open", "1")
        answer_objection(s, clock(), r, b, False, "项目已在2023年计入", None, office)
        enter_stage(s, clock(), r, 1, "审定", office)
        assert (a.status, a.answer, b.status) == ("rejected", "统计局数据为准", "rejected")


def test_a_new_version_waits_for_approval(env):
    clock = FakeClock(T0)
    with transaction(env) as s:
        r, office, _ = _get(s)
        may_publish_new_version(s, r)  # not yet in 公示: allowed
        enter_stage(s, clock(), r, 1, "公示", office)
        with pytest.raises(ReviewError) as e:
            may_publish_new_version(s, r)
        assert e.value.problems[0].code.value == "version-in-review"
    clock.advance(days=16)
    with transaction(env) as s:
        r, office, _ = _get(s)
        enter_stage(s, clock(), r, 1, "复查", office)
        enter_stage(s, clock(), r, 1, "审定", office)
        may_publish_new_version(s, r)


def test_window_end_in_the_past_is_refused(env):
    clock = FakeClock(T0)
    with transaction(env) as s:
        r, office, _ = _get(s)
        with pytest.raises(ReviewError) as e:
            enter_stage(s, clock(), r, 1, "公示", office, window_ends=T0 - timedelta(minutes=1))
        assert e.value.problems[0].code.value == "window-past"
