"""One module per command (``shimkit.cli.spec`` names each handler): read the parsed arguments,
call the core, print through :mod:`shimkit.cli.output`.  Nothing here is imported until its
command runs, so each command pays only for what it uses."""
