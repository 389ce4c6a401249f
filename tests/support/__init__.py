"""Test-suite infrastructure: real PBS-format archives, a loopback HTTP server, download metadata.

Importable from tests as ``support`` (pytest puts ``tests/`` on ``sys.path`` because
``tests/`` holds ``conftest.py`` and no ``__init__.py``).
"""
