"""``shimkit exec [-p REQUEST] [--] COMMAND…`` (alias ``run``)."""

from __future__ import annotations

from ..cli import output

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..cli.parse import Args


def exec_(a: Args) -> int:
    from ..execution import command_environment, require_command, run_in

    argv = list(a.command)
    require_command(argv)
    settings = a.settings()
    with output.CliReporter() as reporter:  # only an automatic download shows progress; done before the exec
        env = command_environment(a.python, settings, reporter=reporter, warn=output.warn)
    return run_in(argv, env)
