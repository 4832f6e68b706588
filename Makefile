# `make demo` and `make test` set everything up from nothing (system packages, .venv, pinned deps).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.jxscore-installed
YEAR   ?= 2024

.PHONY: demo test serve lint bench setup clean messages docs bytecode

$(STAMP): pyproject.toml constraints.txt scripts/setup-system.sh
	bash scripts/setup-system.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	$(MAKE) --no-print-directory bytecode
	touch $(STAMP)

# the project's own bytecode, written once: an editable install leaves it to the first import, and an
# environment with PYTHONDONTWRITEBYTECODE=1 (CI sandboxes set it) never writes it, so every command would
# compile its ~60 modules again (~0.1 s of `jxscore report`'s critical path)
bytecode:
	$(BIN)/python -m compileall -q src

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/jxscore report --year $(YEAR) --data data --history data/history --out out/demo
	$(BIN)/jxscore audit --year $(YEAR) --data data --out out/demo
	$(BIN)/jxscore barometer --year 2025 --period H1 --data data --out out/demo

# the portal on 127.0.0.1:8000 with the sample round (jxscore.db in this folder; demo passwords printed once)
serve: $(STAMP)
	$(BIN)/python scripts/serve-demo.py
	$(BIN)/jxscore serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/python -m pytest -q

# the message catalogue: .po files are the source, .mo files are compiled from them (and committed)
messages: $(STAMP)
	for l in zh_CN en; do $(BIN)/pybabel compile -D jxscore -d src/jxscore/locale -l $$l; done

# docs/formats.md from the table specs
docs: $(STAMP)
	$(BIN)/python -c "from jxscore.core.criteria import load_criteria; from jxscore.io.docs import formats_markdown; \
	open('docs/formats.md', 'w', encoding='utf-8').write(formats_markdown(load_criteria()))"

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

bench: $(STAMP) bytecode
	$(BIN)/python bench/bench_engine.py
	$(BIN)/python bench/bench_sensitivity.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_help.py
	$(BIN)/python bench/bench_portal.py

clean:
	rm -rf $(VENV) out build src/*.egg-info .pytest_cache
