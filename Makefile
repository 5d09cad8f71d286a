# The two commands a new user needs:  make demo   and   make test
# Everything else is installed by them into .tools/ (uv) and .venv/ (the locked dependencies).

PYTHON      ?= python3
UV_VERSION  := 0.13.9
UV          := .tools/bin/uv
VENV        := .venv
MANAGE      := $(VENV)/bin/python manage.py
HOST        ?= 127.0.0.1
PORT        ?= 8000

# Test services: the real PostgreSQL and Redis (.ci/run starts them when they are down).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL    ?= redis://127.0.0.1:6379/15
# The suite runs on every core (pytest-xdist, at most 4 workers; each has its own database and Redis database).
TEST_WORKERS      ?= auto
TEST_ENV = DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=0 \
           SECRET_KEY=test-only-secret-key-0123456789abcdef0123456789abcdefghij \
           PII_KEY=dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE= ALLOWED_HOSTS=localhost,127.0.0.1,testserver \
           SECURE_SSL_REDIRECT=0

export UV_PYTHON_DOWNLOADS := never
export UV_SYSTEM_CERTS := true

.PHONY: install demo test lint messages clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

install: $(UV)
	$(UV) sync --frozen --python $(PYTHON)

## make demo: embedded SQLite, reference and demo data, then the web server
demo: install
	$(MANAGE) migrate --noinput
	$(MANAGE) load_reference
	$(MANAGE) seed_demo_users
	$(MANAGE) demo_data --counties 430321,430382 --households 2000 --seed 2026
	$(MANAGE) demo_treasury --seed 2026
	$(MANAGE) demo_cycle --fail-rate 0.02 --seed 2026
	$(MANAGE) demo_welcome --url http://$(HOST):$(PORT)/
	$(MANAGE) runserver $(HOST):$(PORT)

## make test: the whole suite against the real PostgreSQL and Redis, and Debian's chromium
test: install
	$(TEST_ENV) $(MANAGE) collectstatic --noinput -v0
	$(TEST_ENV) $(VENV)/bin/python -m pytest -n $(TEST_WORKERS) --maxprocesses 4 $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

## make messages: refresh and compile the Chinese translations after changing UI text
messages: install
	$(MANAGE) makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore '.tools/*' --ignore 'tests/*'
	$(MANAGE) compilemessages -l zh_Hans --ignore '.venv/*' --ignore '.tools/*'

clean:
	rm -rf .tools $(VENV) var .pytest_cache
