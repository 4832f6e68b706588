"""The sample round for `make serve`: demo accounts, 2021–2023 announced, 2024 collected from the cities'
workbooks and put up for 公示 — so every page of the portal has something real to show.

Earlier years are published on a clock set to their own spring, so their stage dates read as they would
have; 2024 runs on the real clock. Loading is idempotent: what exists is kept (passwords are printed once,
when an account is made).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jxscore.portal import publish, review, rounds
from jxscore.portal.accounts import add_user
from jxscore.portal.clock import Clock, FakeClock
from jxscore.portal.db import transaction
from jxscore.portal.models import User

OFFICE = "kaoheban"  # 考核办


def _accounts(s: Session, now: datetime, cities: dict[str, str]) -> list[tuple[str, str, str]]:
    made = []
    for name, role, city in [(OFFICE, "office", None)] + [(slug, "city", c) for c, slug in cities.items()]:
        if s.scalar(select(User.id).where(User.name == name)) is None:
            pw = secrets.token_urlsafe(9)
            add_user(s, now, name, role, pw, city, list(cities))
            made.append((name, city or "考核办", pw))
    return made


def load_sample(factory: sessionmaker[Session], clock: Clock, data: Path, say=print) -> list[tuple[str, str, str]]:
    """Accounts, the history rounds (公告) and the 2024 round (公示); returns the accounts made (name, who,
    password)."""
    from jxscore.core.criteria import load_criteria
    from jxscore.resources import default_criteria_path

    cities = {e.name: e.slug for e in load_criteria(default_criteria_path()).entities}
    with transaction(factory) as s:
        made = _accounts(s, clock(), cities)
        office_id = s.scalar(select(User.id).where(User.name == OFFICE))
        have = {r.year for r in rounds.rounds(s)}
    for year in sorted(int(p.name) for p in (data / "history").iterdir() if p.name.isdigit()):
        if year in have or year >= 2024:
            continue
        say(f"载入 {year} 年度（历史轮次，公示→复查→审定→公告）…")
        past = FakeClock(datetime(year + 1, 3, 2, 1, 0, tzinfo=UTC))
        with transaction(factory) as s:
            office = s.get(User, office_id)
        publish.publish_data(factory, past, year, data / "history" / str(year), by=office)
        past.advance(days=17)
        with transaction(factory) as s:
            rnd, office = rounds.get_round(s, year), s.get(User, office_id)
            review.enter_stage(s, past(), rnd, 1, "复查", office)
            past.advance(days=7)
            review.enter_stage(s, past(), rnd, 1, "审定", office)
            review.start_announcement(s, past(), rnd, 1, office)
            rid = rnd.id
        past.advance(days=3)
        review.run_announcement(factory, rid, 1, past, office_id)
    if 2024 not in have:
        say("载入 2024 年度：11个设区市的报送工作簿、考核办的 office.xlsx → 锁定 → 发布公示…")
        returns = data / "returns"
        with transaction(factory) as s:
            office = s.get(User, office_id)
            rnd = rounds.open_round(s, clock(), 2024, None, (returns / "office.xlsx").read_bytes(), office)
            for city, slug in cities.items():
                user = s.scalar(select(User).where(User.name == slug))
                rounds.submit(s, clock(), rnd, city, f"{slug}.xlsx", (returns / f"{slug}.xlsx").read_bytes(), user)
            rounds.lock(s, clock(), rnd, office)
            pid = publish.start_publication(s, clock(), rnd, office).id
        pub = publish.run_publication(factory, pid, clock)
        if pub.status != "done":
            raise RuntimeError(pub.message)
    return made
