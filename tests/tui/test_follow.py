"""The app's side of a classroom without a server: showing the room's run and selection."""

from __future__ import annotations

from nnsim.engine import ParamRef
from nnsim.engine.actions import Edit, ref_to_json
from nnsim.scenario import load

from .apps import make_app


async def test_the_presenters_parameter_is_found_in_the_network_the_records_made(tmp_path):
    app = make_app("hidden", tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        presenter = load("hidden").trainer()
        presenter.apply(Edit("hidden", "3"))
        new = ParamRef("w", 0, (0, 2))  # x1→h3: only in the edited network
        app.show_room(None, presenter.actions(), {"param": ref_to_json(new), "chosen": True})
        await pilot.pause()
        assert app.trainer.arch.sizes == (4, 3, 1)
        assert app.ref == new
