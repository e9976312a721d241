"""Shared pytest setup: a non-interactive matplotlib backend for in-process widget tests."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")
