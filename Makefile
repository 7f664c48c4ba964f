# Two commands for readers: `make book` and `make test`. Both create .venv from nothing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The CPU build of torch; override with e.g. `make test TORCH_SPEC=torch` on a CUDA machine.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: book book-zh translations translation-check test lint nbval nbval-ipywidgets7 pytest bench bench-learning student-notebooks execute clean install gpu-check gpu-check-dry zoo

# Every dependency is listed once, in pyproject.toml (the extra "dev" holds the book's and the tests'); torch
# comes first so that the CPU build is the one that stays.
$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[dev]"
	# A test fixture, not a dependency: ipywidgets 7.7 (Colab's) beside 8, for the widget chapters' second test run.
	$(PY) -m pip install --quiet --no-deps --upgrade --target $(VENV)/ipywidgets7 "ipywidgets==7.7.5" "ipython_genutils==0.2.0"
	touch $(STAMP)

install: $(STAMP)

# Render _build/html from the committed, executed chapters (about a minute); any warning fails.
# `make book EXECUTE=1` first runs every chapter again at the small scale (`make execute`, about 20 minutes on 2 cores).
EXECUTE ?=
book: $(STAMP)
	$(if $(EXECUTE),$(MAKE) execute)
	rm -rf _build/html _build/.doctrees
	$(VENV)/bin/jupyter-book build . -W -n --keep-going

# The Chinese edition, from the same notebooks: the prose comes from locales/zh_CN (scripts/translations.py), the
# code, outputs and glued numbers are the English edition's. Renders _build/zh/_build/html; any warning fails.
book-zh: $(STAMP)
	$(PY) scripts/translations.py config
	rm -rf _build/zh
	$(VENV)/bin/jupyter-book build . -W -n --keep-going --path-output _build/zh --config _build/zh-config.yml

# Bring the catalogs in step with the English (a changed paragraph becomes fuzzy) and say what is left to translate.
translations: $(STAMP)
	$(PY) scripts/translations.py update
	$(PY) scripts/translations.py status

# Every page the Chinese edition gives as translated (locales/zh_CN/pages.txt) is 95% translated or more.
translation-check: $(STAMP)
	$(PY) scripts/translations.py check

lint: $(STAMP)
	$(VENV)/bin/ruff check albert_lite tests benchmarks scripts notebooks

pytest: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) -m pytest -q -n 2 tests --ignore=tests/ipywidgets_version.py

# Notebooks at the tiny scale; cells marked NBVAL_CHECK_OUTPUT must print what is committed.
nbval: $(STAMP)
	OMP_NUM_THREADS=1 ALBERT_LITE_SCALE=tiny $(PY) -m pytest -q -n 2 --dist loadfile --nbval-lax --nbval-current-env -p no:cacheprovider notebooks

# The widget chapters again under ipywidgets 7.7, the version Colab ships.
WIDGET_CHAPTERS := notebooks/01_bert_in_one_notebook.ipynb notebooks/02_factorized_embedding.ipynb \
	notebooks/03_cross_layer_sharing.ipynb
nbval-ipywidgets7: $(STAMP)
	PYTHONPATH=$(CURDIR)/$(VENV)/ipywidgets7 OMP_NUM_THREADS=1 ALBERT_LITE_SCALE=tiny $(PY) -m pytest -q -n 2 \
	  --dist loadfile --nbval-lax --nbval-current-env -p no:cacheprovider $(WIDGET_CHAPTERS) tests/ipywidgets_version.py

test: lint pytest nbval nbval-ipywidgets7 gpu-check-dry translation-check

# On a CUDA machine: every chapter at the full scale, then the train-step benchmark, within ten minutes.
# Install the CUDA build of torch there: make gpu-check TORCH_SPEC=torch
gpu-check: $(STAMP)
	$(PY) scripts/gpu_check.py --out artifacts

# The same code path on the CPU at the tiny scale (what CI can run): the JSON carries the FLOP-based predictions.
gpu-check-dry: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) scripts/gpu_check.py --dry-run --out artifacts/gpu-check-dry

# Re-execute the committed notebooks in place at the small CPU scale (what the repository stores).
NOTEBOOKS ?= notebooks/*.ipynb
execute: $(STAMP)
	kernels=$$(mktemp -d); for nb in $(NOTEBOOKS); do \
	  OMP_NUM_THREADS=1 ALBERT_LITE_SCALE=small $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=1800 --ExecutePreprocessor.startup_timeout=60 \
	    --KernelManager.transport=ipc --KernelManager.ip=$$kernels/kernel \
	    --ExecutePreprocessor.store_widget_state=True "$$nb" || exit 1; \
	done; rm -rf $$kernels

# A classroom copy of the chapters with every solution removed.
student-notebooks: $(STAMP)
	$(PY) scripts/student_notebooks.py --out student_notebooks

bench: $(STAMP)
	$(PY) benchmarks/train_step.py

# Held-out masked-LM accuracy after 1, 2 and 3 minutes of CPU training, two recipes side by side (about 4 minutes).
bench-learning: $(STAMP)
	mkdir -p artifacts && $(PY) benchmarks/learning_per_minute.py --json artifacts/learning_per_minute.json

# Retrain the zoo's models side by side, one single-threaded process each under nice, resuming where a run stopped
# (runs/zoo), then measure each on every held-out pair and ship it into albert_lite/zoo/models. One to two hours
# per model and core on a CPU; choose some with ZOO_MODELS="albert-sotu bert-sotu".
ZOO_MODELS ?= albert-sotu bert-sotu albert-sotu-short bert-sotu-short albert-sotu-plain bert-sotu-plain
zoo: $(STAMP)
	# nice alone yields nothing to other sessions where the kernel groups processes by session: lower the group too.
	mkdir -p runs/zoo; (echo 19 > /proc/self/autogroup) 2>/dev/null || true; for name in $(ZOO_MODELS); do \
	  OMP_NUM_THREADS=1 nice $(PY) -m albert_lite.zoo.train $$name --minutes 100000 --no-progress \
	    > runs/zoo/$$name.log 2>&1 & \
	done; wait; for name in $(ZOO_MODELS); do \
	  tail -n 2 runs/zoo/$$name.log; grep -q "^exported to" runs/zoo/$$name.log || exit 1; \
	done

clean:
	rm -rf _build .pytest_cache
