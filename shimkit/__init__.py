"""shimkit: install and manage CPython interpreters.

Importing the package must stay cheap: hot commands (``find``, ``pin``) and the shell
hooks' helper calls go through here, so nothing heavy is imported at module level.
"""

__version__ = "0.1.0"
