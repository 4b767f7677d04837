# Two commands: `make run` and `make test`. Both set up what they need and are idempotent.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
KIOSK  := $(BIN)/kiosk
VENDOR := kiosk/static/vendor
FONTS  := /usr/share/fonts/truetype/bizud-gothic

# Debian packages: WeasyPrint's Pango, the BIZ UDGothic font, Noto CJK and Noto (Chinese, Korean,
# Nepali and Vietnamese handoff sheets) and `lp` (printing through the ward's CUPS) to run; Chromium, poppler, zbar and a private CUPS server for the tests.
DEBIAN_RUN  := fonts-morisawa-bizud-gothic fonts-noto-cjk fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0 \
               libharfbuzz-subset0 cups-client
DEBIAN_TEST := chromium poppler-utils zbar-tools cups cups-client cups-filters

.PHONY: run test setup test-setup lint messages translations vendor bench bundle clean

run: setup
	$(KIOSK) db migrate
	$(KIOSK) content check
	$(KIOSK) demo load
	$(KIOSK) serve

test: setup test-setup
	$(BIN)/ruff check .
	$(BIN)/pytest -q

setup: .make/debian-run $(BIN)/.installed vendor translations

test-setup: .make/debian-test $(BIN)/.installed-test

.make/debian-run: scripts/debian-packages.sh Makefile
	@mkdir -p .make
	@sh scripts/debian-packages.sh $(DEBIAN_RUN)
	@touch $@

.make/debian-test: scripts/debian-packages.sh Makefile
	@mkdir -p .make
	@sh scripts/debian-packages.sh $(DEBIAN_TEST)
	@touch $@

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e .
	@touch $@

$(BIN)/.installed-test: pyproject.toml $(BIN)/.installed
	$(BIN)/pip install -q -e '.[test]'
	@touch $@

vendor: $(VENDOR)/htmx.min.js $(VENDOR)/fonts/.copied

$(VENDOR)/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $@

# The browser gets BIZ UDPGothic (proportional BIZ UDGothic) from the app when the kiosk PC does not have it installed.
$(VENDOR)/fonts/.copied: .make/debian-run
	@mkdir -p $(VENDOR)/fonts
	@if [ -f $(FONTS)/BIZUDPGothic-Regular.ttf ]; then \
		cp $(FONTS)/BIZUDPGothic-Regular.ttf $(FONTS)/BIZUDPGothic-Bold.ttf $(VENDOR)/fonts/; \
	else echo "note: BIZ UDGothic not found in $(FONTS); pages fall back to system fonts"; fi
	@touch $@

translations: $(BIN)/.installed $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po
	$(BIN)/pybabel compile -d translations -l $*

# Extract every string into translations/messages.pot and merge it into each catalog.
messages: $(BIN)/.installed
	$(BIN)/pybabel extract -F pyproject.toml --ignore-dirs=".* node_modules build" -k lazy_gettext -k _l -o translations/messages.pot --no-location --sort-output . >/dev/null
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

lint: $(BIN)/.installed-test
	$(BIN)/ruff check .

bench: setup test-setup
	$(BIN)/python bench/startup_and_seal_free.py
	$(BIN)/python bench/kiosk_chat.py
	$(BIN)/python bench/consultation_load.py
	$(BIN)/python bench/offline_sync.py
	$(BIN)/python bench/sheet_render.py
	$(BIN)/python bench/stats_dashboard.py
	$(BIN)/python bench/reading_aids.py
	$(BIN)/python bench/review_progress.py
	$(BIN)/python bench/worker_pool.py
	$(BIN)/python bench/request_log.py
	$(BIN)/python bench/assistant_quality.py

# dist/tetsuzuki-kiosk-<version>/ and its .tar.gz: installs with no network (docs/deploying.md).
# For a Windows server: BUNDLE_FLAGS="--platform win_amd64 --python-version 3.12" make bundle
bundle: setup
	$(BIN)/python scripts/make_bundle.py dist $(BUNDLE_FLAGS)

clean:
	rm -rf $(VENV) .make node_modules $(VENDOR) instance dist build
