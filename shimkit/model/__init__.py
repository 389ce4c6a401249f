"""The vocabulary every command shares, stdlib only and cheap to import.

- :mod:`.version`: Python version numbers (``3.12.1``, ``3.13.0rc1``) and their order;
- :mod:`.specifier`: the PEP 440 clauses Python versions need (``>=3.11,<3.13``, ``==3.12.*``);
- :mod:`.key`: installation keys (``cpython-3.12.1-linux-x86_64-gnu``) and platform triples;
- :mod:`.request`: :class:`~.request.PythonRequest`, every form a user can type or a version file
  can hold, and how it matches a key or a probed interpreter.

No regular expressions, dataclasses or ``packaging`` at import: ``find``, ``pin`` and the shell
hooks' helper load this on every call.  ``packaging`` is the test oracle
(``tests/test_model.py`` checks that both agree on generated inputs).
"""
