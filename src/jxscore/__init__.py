"""jxscore — scoring engine for Jiangxi's 设区市节能减排目标责任评价考核."""

__version__ = "0.1.0"
