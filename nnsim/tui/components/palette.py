"""Textual's command palette, bounded and guarded against keys that arrive before it is drawn."""

from __future__ import annotations

from textual.command import CommandInput, CommandList, CommandPalette

MAX_QUERY = 100
"""Characters a search may have: every key of a longer paste would start another search of every command."""


class Palette(CommandPalette):
    """The command palette with a bounded search and a guard for its list's page keys.

    Textual 8.2.8's OptionList raises ``KeyError: 0`` when PageDown or PageUp reaches it before it
    has been laid out (``ctrl+p`` then PageDown in one burst of input): the list has options but
    no lines yet. Until the list has a size those keys do nothing.
    """

    def on_mount(self) -> None:
        self.query_one(CommandInput).max_length = MAX_QUERY  # a longer paste is refused whole

    def _action_command_list(self, action: str) -> None:
        if not self.query_one(CommandList).scrollable_content_region:
            return  # not laid out yet: nothing on screen to move through
        super()._action_command_list(action)
