"""The ``nnsim`` command: the terminal UI by default, and headless commands that print every number."""

import _signal  # type: ignore[import-not-found]  # signal's C core: `import signal` loads enum, slowly
import sys

_interrupted = False  # Ctrl+C came: set as well as raised, for an interrupt Python swallowed


def _interrupted_early(signum, frame):
    """Ctrl+C before main() has started (Python still loading nnsim): exit 130, without a traceback."""
    global _interrupted
    _interrupted = True
    raise SystemExit(130)


def _interrupt(signum, frame):
    """Ctrl+C once main() runs: KeyboardInterrupt, caught in main().

    The flag is for when the exception is raised where Python only reports it and goes on (an
    import lock's callback: "Exception ignored in …"): main() still exits 130.
    """
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


# First of all, before the imports below and NumPy's: until main() takes over, Ctrl+C ends the
# command quietly. Only when this is the start of a command (NumPy not loaded yet: not in a test
# session or a program that imports nnsim) and where signals can be handled (the main thread).
def _unraisable(report) -> None:
    """Ctrl+C that landed where Python only reports an exception (an import lock's callback): quiet;
    the flag is set and the command exits 130 at its next check."""
    if not (_interrupted and isinstance(report.exc_value, (KeyboardInterrupt, SystemExit))):
        sys.__unraisablehook__(report)


if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler and "numpy" not in sys.modules:
    try:
        _signal.signal(_signal.SIGINT, _interrupted_early)
        sys.unraisablehook = _unraisable
    except ValueError:  # imported from another thread
        pass

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from typing import NoReturn  # noqa: E402

from . import one_blas_thread  # noqa: E402
from .text import visible  # noqa: E402

COMMANDS = ("list", "check", "run", "screenshot", "serve")


class UsageError(Exception):
    """Bad input from the command line: printed as one line, exit code 2."""


class Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line ``nnsim: error: ...`` (exit 2), not the usage block.

    -h and --help still print the full help. Subcommand parsers are made with this class too.
    """

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("nnsim").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _batch(text: str) -> str | int:
    if text in ("full", "sample"):
        return text
    try:
        return _count(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f'expected "full", "sample" or a whole number >= 1, got {text!r}') from None


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"expected column names separated by commas, got {text!r}")
    return names


def _sizes(text: str) -> list[int]:
    if not text.strip():
        return []  # --hidden "": no hidden layer
    try:
        sizes = [int(n) for n in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or min(sizes) < 1 or len(sizes) > 100:
        raise argparse.ArgumentTypeError(f"expected layer sizes (whole numbers >= 1) separated by commas, got {text!r}")
    return sizes


def _csv_options(parser: argparse.ArgumentParser) -> None:
    """--inputs, --targets and --hidden: a scenario made from a CSV file (nnsim data.csv --inputs a,b --targets c)."""
    parser.add_argument("--inputs", type=_names, metavar="A,B", help="with a .csv file: the input columns")
    parser.add_argument("--targets", type=_names, metavar="C", help="with a .csv file: the target columns")
    parser.add_argument(
        "--hidden", type=_sizes, metavar="4,2", help="with a .csv file: hidden layer sizes (default: none)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="nnsim",
        description="Watch a neural network learn, one keypress at a time. "
        "With no command, opens the terminal UI: nnsim [SCENARIO] [--keys KEYS].",
    )
    parser.add_argument("--version", action="version", version=f"nnsim {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("list", help="list the shipped scenarios")
    check = sub.add_parser("check", help="validate a scenario file")
    check.add_argument("scenario", metavar="FILE", help="a scenario name or path to a .toml file")
    run = sub.add_parser("run", help="train headless and print every step")
    run.add_argument("scenario", metavar="SCENARIO", help="a scenario name, a path to a .toml file, or a .csv file")
    run.add_argument("--steps", type=_count, default=None, help="at most N steps (default: until it stops)")
    run.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format (default: table)"
    )
    run.add_argument("--lr", type=_positive, default=None, help="learning rate (overrides the scenario)")
    run.add_argument("--seed", type=_seed, default=None, help="random guess from this seed (replaces explicit weights)")
    run.add_argument("--batch", type=_batch, default=None, help='"full", "sample" or a mini-batch size')
    run.add_argument(
        "--full", action="store_true", help="--format json: add each sample's z, a and delta (dL/dz) for every node"
    )
    run.add_argument(
        "--save", metavar="OUT.toml", default=None, help="then save the run as a scenario file that goes on from there"
    )
    run.add_argument("--force", action="store_true", help="--save: overwrite OUT.toml if it exists")
    _csv_options(run)
    shot = sub.add_parser("screenshot", help="save the screen after a key sequence as SVG")
    shot.add_argument("scenario", metavar="SCENARIO", help="a scenario name or path to a .toml file")
    shot.add_argument("--keys", default="", help='keys to press first, e.g. "f b u"')
    shot.add_argument("--size", type=_size, default=(100, 30), help="terminal size WIDTHxHEIGHT (default 100x30)")
    shot.add_argument("-o", "--output", required=True, metavar="FILE.svg", help="where to write the SVG")
    shot.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    serve = sub.add_parser("serve", help="serve the app over SSH (--ssh) or to a browser (--web)")
    serve.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="what sessions may open besides the shipped scenarios; each new session opens the first (default y4x)",
    )
    how = serve.add_mutually_exclusive_group()
    how.add_argument("--ssh", action="store_true", help="a built-in SSH server: each connection gets its own nnsim")
    how.add_argument("--web", action="store_true", help="serve in a browser through textual-serve")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=_port, default=None, help="port (default 2222 for --ssh, 8000 for --web)")
    serve.add_argument(
        "--authorized-keys",
        metavar="FILE",
        default=None,
        help="--ssh: public keys allowed in (default ~/.ssh/authorized_keys)",
    )
    serve.add_argument("--open", action="store_true", help="--ssh: let anyone in without a key (trusted networks only)")
    serve.add_argument(
        "--max-sessions", type=_count, default=50, metavar="N", help="sessions at once, SSH or browser (default 50)"
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        default=None,
        help="--web: the address browsers use when it is not --host's (a name, a proxy: https://nnsim.example.org)",
    )
    serve.add_argument(
        "--follow",
        action="store_true",
        help="--ssh: a classroom: whoever logs in with a --presenter-key key presents, everyone else follows",
    )
    serve.add_argument(
        "--presenter-key",
        metavar="FILE",
        default=None,
        help="--ssh --follow: the presenters' public keys (an authorized_keys file)",
    )
    serve.add_argument(
        "--export-dir",
        metavar="DIR",
        default=None,
        help="--ssh: sessions' exports (x, X) are written here, each under its own names (default: export is off)",
    )
    serve.add_argument(
        "--idle-timeout",
        type=_positive,
        default=30.0,
        metavar="MINUTES",
        help="--ssh: close a session after this many minutes without a key (default 30)",
    )
    return parser


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port from 1 to 65535, got {text!r}")
    return value


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 100x30, got {text!r}") from None
    if w < 20 or h < 8 or w > 500 or h > 200:
        raise argparse.ArgumentTypeError(f"expected a size from 20x8 to 500x200, got {text!r}")
    return w, h


def _ui_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="nnsim", description="Open the terminal UI on a scenario.")
    parser.add_argument(
        "scenario", nargs="?", default="y4x", help="a scenario name or path, or a .csv file (default: y4x)"
    )
    parser.add_argument("--keys", default="", help='keys to press at start-up, e.g. "f b u"')
    _csv_options(parser)
    return parser


def _load(args: argparse.Namespace):
    """The scenario the command line names: a shipped name, a .toml file, or a .csv file with --inputs and --targets."""
    from .scenario import load
    from .scenario.writer import from_csv

    given = [f"--{name}" for name in ("inputs", "targets", "hidden") if getattr(args, name, None) is not None]
    if args.scenario.lower().endswith(".csv"):
        if args.inputs is None or args.targets is None:
            raise UsageError(f"{args.scenario}: a CSV file needs --inputs and --targets, e.g. --inputs a,b --targets c")
        return from_csv(args.scenario, args.inputs, args.targets, args.hidden or ())
    if given:
        raise UsageError(
            f"{given[0]} is for a CSV file (nnsim data.csv --inputs a,b --targets c); a scenario names its own columns"
        )
    return load(args.scenario)


def _version() -> str:
    from . import __version__

    return __version__


def _error(message: str) -> int:
    """One line on stderr; what came from a file or the command line is shown with its control characters escaped."""
    sys.stderr.write(f"nnsim: error: {visible(message)}\n")
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """The command: its exit code (0 done, 2 bad input, 130 Ctrl+C), with every error on one line."""
    try:
        if signal.getsignal(signal.SIGINT) is _interrupted_early:
            signal.signal(signal.SIGINT, _interrupt)  # from here Ctrl+C is caught below
        if _interrupted:
            return 130
        code = _main(list(sys.argv[1:] if argv is None else argv))
        return 130 if _interrupted else code
    except KeyboardInterrupt:  # at any moment, NumPy's loading included
        return 130


def _main(args_list: list[str]) -> int:
    one_blas_thread()  # before NumPy is imported
    from .scenario import ScenarioError

    try:
        if args_list and (args_list[0] in COMMANDS or args_list[0] in ("-h", "--help", "--version")):
            args = _parser().parse_args(args_list)
            code = _COMMANDS[args.command](args)
        else:
            code = cmd_ui(_ui_parser().parse_args(args_list))
        sys.stdout.flush()  # here, where a closed pipe can still be caught
        return code
    except (ScenarioError, UsageError) as e:
        return _error(str(e))
    except BrokenPipeError:
        _stdout_to_devnull()
        return 0
    except OSError as e:  # the output cannot be written: a full disk, /dev/full
        _stdout_to_devnull()
        return _error(f"{e.filename}: {e.strerror}" if e.filename else f"cannot write the output ({e.strerror or e})")


def _stdout_to_devnull() -> None:
    """The reader closed the pipe (``nnsim run ... | head``): that is not an error.

    Python flushes stdout again at exit and would print "Exception ignored ... BrokenPipeError";
    pointing stdout at /dev/null first keeps that quiet (as Python's signal documentation advises).
    """
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout without a file descriptor (a test's capture)
        pass


def _console(**options):
    """A Rich console on stdout whose closed pipe reaches main() as BrokenPipeError (Rich would exit 1)."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return PipeConsole(**options)


def cmd_list(args: argparse.Namespace) -> int:
    from rich.table import Table
    from rich.text import Text

    from .scenario import ScenarioError, load, shipped

    table = Table(box=None, show_header=True, header_style="bold")
    for col in ("name", "network", "rows", "description"):
        table.add_column(col)
    for name in shipped():
        try:
            s = load(name)
        except ScenarioError as e:
            table.add_row(Text(visible(name)), "", "", Text(visible(str(e)), style="red"))
            continue
        sizes = " → ".join(map(str, s.arch.sizes))
        table.add_row(Text(visible(name)), sizes, str(len(s.data)), Text(visible(s.description)))
    _console().print(table)
    return 0


def summary(s) -> str:
    """One line about a scenario: layers, parameters, rows and training set-up."""
    arch, c = s.arch, s.config
    layers = " → ".join(map(str, arch.sizes))
    n = arch.n_params
    hidden = ", ".join(dict.fromkeys(arch.hidden_activations()))
    acts = f"{hidden} hidden, {arch.output} output" if arch.n_layers > 1 else f"{arch.output} output"
    return (
        f"{s.name}: layers {layers} ({acts}), {n} parameter{'s' if n != 1 else ''}, "
        f"{len(s.data)} row{'s' if len(s.data) != 1 else ''}; loss {c.loss}, learning rate {c.learning_rate:g}, "
        f"batch {c.batch}, stop_loss {c.stop_loss:g}, max_steps {c.max_steps}"
    )


def cmd_check(args: argparse.Namespace) -> int:
    from rich.text import Text

    from .scenario import load

    s = load(args.scenario)
    line = Text.assemble(("ok", "green"), " ", visible(f"{s.path}: {summary(s)}"))  # a Text: no markup
    _console(soft_wrap=True).print(line, highlight=False)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    if args.full and args.format != "json":
        raise UsageError(f"run: --full adds to the JSON lines: use it with --format json, not --format {args.format}")
    if args.force and not args.save:
        raise UsageError("run: --force is for --save (overwrite its file)")
    s = _load(args)
    if args.save:
        _can_save(args.save, args.force)  # before the run, not after it
    if s.path.suffix.lower() == ".csv":
        sys.stderr.write(f"nnsim: {visible(s.description)}\n")
    overrides: dict = {}
    if args.lr is not None:
        overrides["learning_rate"] = args.lr
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.batch is not None:
        if isinstance(args.batch, int) and args.batch > len(s.data):
            raise UsageError(f"--batch: expected a size from 1 to {len(s.data)} (the number of rows), got {args.batch}")
        overrides["batch"] = args.batch
    trainer = s.trainer(**overrides)
    if args.format == "json":
        code = _run_json(trainer, args.steps, args.full)
    else:
        code = {"table": _run_table, "csv": _run_csv}[args.format](trainer, args.steps)
    if args.save:
        _save(s, trainer, args.save, args.force)
    return code


def _can_save(path: str, force: bool) -> None:
    from .scenario.writer import FileExists, SaveError, check_target

    try:
        check_target(path, force)
    except FileExists as e:
        raise UsageError(f"{e} (use --force to overwrite)") from None
    except SaveError as e:
        raise UsageError(str(e)) from None


def _save(scenario, trainer, path: str, force: bool) -> None:
    """--save: the run as a scenario file (one line on stderr says where; the output stays the run's)."""
    from .scenario.writer import FileExists, SaveError, save

    try:
        written = save(scenario, trainer, path, force)
    except FileExists as e:
        raise UsageError(f"{e} (use --force to overwrite)") from None
    except SaveError as e:
        raise UsageError(str(e)) from None
    sys.stderr.write(f"nnsim: saved step {trainer.step_count} as {visible(str(written))}\n")


def _steps(trainer, steps):
    done = 0
    while trainer.stop is None and (steps is None or done < steps):
        if _interrupted:  # a Ctrl+C that Python swallowed (see _interrupt)
            raise KeyboardInterrupt
        if trainer.step():
            done += 1
            yield trainer


def _run_json(trainer, steps, full: bool = False) -> int:
    from .trace import step_record, stop_record

    out = sys.stdout
    for t in _steps(trainer, steps):
        out.write(json.dumps(step_record(t, full)) + "\n")
    out.write(json.dumps(stop_record(trainer)) + "\n")
    return 0


def _run_csv(trainer, steps) -> int:
    from .trace import CSV_HEADER, csv_rows

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for t in _steps(trainer, steps):
        writer.writerows(csv_rows(t))
    return 0


def _run_table(trainer, steps) -> int:
    from .report import step_tables, stop_line

    console = _console(highlight=False)
    for t in _steps(trainer, steps):
        for renderable in step_tables(t):
            console.print(renderable)
    console.print(stop_line(trainer))
    return 0


def cmd_ui(args: argparse.Namespace) -> int:
    import gc

    # Start-up makes some 100,000 objects that live as long as the app, and the collector would
    # walk them about 145 times before the first screen (40 ms). The app freezes them and turns
    # collection back on once its first screen is drawn (NNSimApp._started).
    gc.disable()
    scenario = _load(args)
    from .tui.app import NNSimApp

    app = NNSimApp(scenario, keys=args.keys)
    if scenario.path.suffix.lower() == ".csv":
        app.start_notice = scenario.description  # what was chosen for the CSV: the output and the loss
    app.run()
    # Textual sets 1 when the app died of an exception (it has printed the traceback by then)
    return 0 if app.return_code is None else app.return_code


def cmd_serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .scenario import load

    if not (args.ssh or args.web):
        raise UsageError("serve: say how: --ssh (a server attendees reach with ssh) or --web (a browser)")
    if args.web and (args.open or args.authorized_keys):
        raise UsageError("serve: --open and --authorized-keys are for --ssh")
    if args.ssh and args.public_url:
        raise UsageError("serve: --public-url is for --web")
    if args.web and (args.follow or args.presenter_key):
        raise UsageError("serve: --follow and --presenter-key are for --ssh")
    if args.follow and not args.presenter_key:
        raise UsageError("serve --ssh --follow: say who presents with --presenter-key FILE (their public keys)")
    if args.presenter_key and not args.follow:
        raise UsageError("serve --ssh: --presenter-key is for --follow")
    if args.web and args.export_dir:
        raise UsageError("serve: --export-dir is for --ssh (a browser's export is a download: nothing is written here)")
    loaded = [load(name) for name in args.scenarios or ["y4x"]]  # fail now, not in every session
    scenario, others = loaded[0], [s.path for s in loaded[1:]]
    from . import serve

    try:
        if args.ssh:
            keys = Path(args.authorized_keys).expanduser() if args.authorized_keys else None
            serve.serve_ssh(
                scenario.path,
                scenarios=others,
                export_dir=Path(args.export_dir).expanduser() if args.export_dir else None,
                host=args.host,
                port=args.port,
                open=args.open,
                authorized_keys=keys,
                max_sessions=args.max_sessions,
                idle_minutes=args.idle_timeout,
                follow=args.follow,
                presenter_keys=Path(args.presenter_key).expanduser() if args.presenter_key else None,
            )
        else:
            serve.serve_web(
                scenario.path,
                scenarios=others,
                name=scenario.name,
                host=args.host,
                port=args.port,
                public_url=args.public_url,
                max_sessions=args.max_sessions,
            )
    except serve.SetupError as e:
        raise UsageError(f"serve --{'ssh' if args.ssh else 'web'}: {e}") from None
    return 0


def cmd_screenshot(args: argparse.Namespace) -> int:
    import asyncio
    import os
    from pathlib import Path

    from .scenario import load

    scenario = load(args.scenario)
    out = Path(args.output)
    if out.exists() and not args.force:
        raise UsageError(f"{out}: already exists (use --force to overwrite)")
    from .tui.screenshot import screenshot

    svg = asyncio.run(screenshot(scenario, args.keys, args.size))
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if args.force else os.O_EXCL)
    try:
        fd = os.open(out, flags, 0o644)
    except FileExistsError:
        raise UsageError(f"{out}: already exists (use --force to overwrite)") from None
    except OSError as e:
        raise UsageError(f"{out}: cannot write ({e.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(svg)
    except OSError as e:  # a full disk (or /dev/full)
        raise UsageError(f"{out}: cannot write ({e.strerror})") from None
    sys.stdout.write(f"wrote {visible(str(out))}\n")
    return 0


_COMMANDS = {"list": cmd_list, "check": cmd_check, "run": cmd_run, "serve": cmd_serve, "screenshot": cmd_screenshot}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
