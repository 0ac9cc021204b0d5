"""Test-wide settings: tests talk to the real database named by DATABASE_URL (SQLite by default, the
local PostgreSQL server in CI's second pass)."""

import os

os.environ.setdefault("HOPNHAT_TESTING", "1")
os.environ.setdefault("HOPNHAT_VAR_DIR", os.path.join(os.path.dirname(__file__), "var", "test"))
