# Every target goes through the `gikai` CLI in the project's virtualenv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
GIKAI  := $(BIN)/gikai
DEMO   := data/demo
DB     ?= var/index.duckdb
RAW    ?= var/raw
PORT   ?= 8000
MODEL  ?= models/chive-static
TUNED  ?= models/chive-gikai

.PHONY: setup run demo test eval bench loadtest lint clean notebooks

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: the CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

# The offline Japanese sentence model: chiVe vectors from the ja-ginza wheel as a
# sentence-transformers StaticEmbedding (ja-ginza itself is not installed: it pins sudachipy<0.7).
$(MODEL)/gikai.json: | $(VENV)/.installed
	$(BIN)/python -m nlp.embedding build --out $(MODEL)

# The default model: those rows trained on the labelled assembly statements in data/eval (nlp/finetune.py, ~30 s).
$(TUNED)/gikai.json: $(MODEL)/gikai.json
	$(BIN)/python -m nlp.finetune --base $(MODEL) --out $(TUNED)

setup: $(VENV)/.installed $(MODEL)/gikai.json $(TUNED)/gikai.json  ## create .venv, install gikai, build the offline embedding model

demo: setup  ## import the bundled 東京都議会 minutes and build the index
	$(GIKAI) import poliinfo $(DEMO) --raw-dir $(RAW)
	$(GIKAI) build --raw-dir $(RAW) --db $(DB)

run: demo  ## set up, import the demo corpus, build, serve on 127.0.0.1:$(PORT) (make run PORT=8001)
	$(GIKAI) serve --db $(DB) --host 127.0.0.1 --port $(PORT)

test: setup  ## the whole test suite
	$(BIN)/pytest -q

eval: demo  ## ranking quality as JSON (member nDCG@10 on the dev queries)
	@$(GIKAI) eval all --db $(DB)

N ?= 1000000
bench: setup  ## speed, memory and targets as JSON on a synthetic corpus of N statements (default 1,000,000)
	@$(GIKAI) bench --statements $(N) --json

loadtest: demo  ## 50 clients for 60 s against a local server on the demo index (JSON)
	@$(GIKAI) loadtest --db $(DB) --json

notebooks: setup  ## run the analyst notebooks on the index; executed copies with outputs in var/notebooks/
	@test -f $(DB) || $(MAKE) demo
	mkdir -p var/notebooks
	GIKAI_DB_PATH=$(abspath $(DB)) $(BIN)/jupyter execute --output='../var/notebooks/{notebook_name}' notebooks/*.ipynb

lint: setup
	$(BIN)/ruff check crawlers nlp index api tests notebooks

clean:
	rm -rf var .pytest_cache
