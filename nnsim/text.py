"""Text that came from a file or a client, made safe to show on a terminal.

One function for the whole program: the scenario reader escapes what it loads with it, and the
views, the CLI and the TUI show every other outside string (paths, error lines) through it. It
does not escape Rich's markup: show the result as a Text (or with markup off), never as markup.
"""

from .scenario.text import quoted, visible

__all__ = ["quoted", "visible"]
