"""Command line of every stage: ``python -m gzxai <command> ...`` (or the ``gzxai`` script).

The Snakemake rules call exactly these commands, so a job can be rerun or debugged by hand
with the arguments the workflow used (``snakemake -p`` prints them). Each stage registers
its own commands (``gzxai/<stage>/cli.py: register``); this module only assembles them.
Stage settings arrive as one JSON object (``--params``), which Snakemake also records, so a
changed setting reruns exactly the jobs it affects.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import logging
import sys
from collections.abc import Callable

from gzxai.core.errors import GzxaiError
from gzxai.core.provenance import code_digest
from gzxai.core.redact import RedactingFilter

# The stages, in the order their commands are listed by --help.
STAGES = (
    "synthetic",
    "sources",
    "splits",
    "cnn",
    "ensemble",
    "bias",
    "bars",
    "votes",
    "active",
    "audit",
    "studies",
)

log = logging.getLogger("gzxai")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gzxai", description=__doc__.splitlines()[0])
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    for stage in STAGES:
        importlib.import_module(f"gzxai.{stage}.cli").register(commands)
    return parser


def commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """Every command's own parser, by name."""
    (action,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


@functools.cache
def _known() -> dict[str, argparse.ArgumentParser]:
    # Built once per process: the rule files ask for every command's digest.
    return commands(build_parser())


def handler(command: str) -> Callable[[argparse.Namespace], None]:
    """The function that runs ``command``."""
    known = _known()
    if command not in known:
        raise KeyError(f"no gzxai command {command!r}; there are {sorted(known)}")
    return known[command].get_default("func")


def command_code(command: str) -> str:
    """Digest of the code ``command`` runs (its function and every gzxai module that can
    import): a rule carries it as a param, so editing that code reruns the rule."""
    func = handler(command)
    return code_digest(func.__module__, func.__name__)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    for log_handler in logging.getLogger().handlers:
        log_handler.addFilter(RedactingFilter())
    try:
        args.func(args)
    except GzxaiError as err:
        log.error("%s", err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
