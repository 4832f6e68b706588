"""`make serve`: the portal's database brought up to date, the sample round loaded, demo accounts made.

Run by the Makefile before `jxscore serve`; the passwords of the accounts it makes are printed once."""

import sys
from pathlib import Path

from jxscore.portal.clock import system_clock
from jxscore.portal.db import default_url, make_engine, sessions, upgrade
from jxscore.portal.demo import load_sample

if __name__ == "__main__":  # the render pool's fork server re-imports this file: nothing runs on import
    url = sys.argv[1] if len(sys.argv) > 1 else default_url()
    engine = make_engine(url)
    upgrade(engine)
    made = load_sample(sessions(engine), system_clock, Path(__file__).resolve().parents[1] / "data")
    if made:
        print("\n演示账号（密码只显示这一次，请记下）：")
        for name, who, pw in made:
            print(f"  {name:<12} {who:<6} {pw}")
    else:
        print("\n演示账号已存在（密码见首次运行 make serve 时的输出；可用 jxscore users add 另建账号）。")
    print("\n门户地址：http://127.0.0.1:8000/  （考核办账号 kaoheban；各市账号为城市拼音，如 nanchang）")
