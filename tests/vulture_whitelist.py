"""What vulture takes for dead code in shapelint/ but is not (tests/test_dead_code.py).

vulture reads this file as code that uses each name below; the test also imports it, so an entry
whose name is gone from the package fails there and is deleted, instead of hiding new dead code
of the same name. Each entry says who uses the name.
"""

from shapelint import analysis
from shapelint.analysis import values
from shapelint.core import symbolic
from shapelint.frontends import flake8_plugin


class _Parameters:
    """Stands for parameters a caller passes by position, which a whitelist cannot name."""

    def __getattr__(self, name: str) -> None:
        return None


_ = _Parameters()

# Python calls a module's __getattr__ and __dir__ (PEP 562): the lazy loading of the engine.
analysis.__getattr__
analysis.__dir__

# flake8 finds the plugin through the entry point in pyproject.toml, reads its ``version`` and
# calls ``add_options`` / ``parse_options`` by name.
flake8_plugin.ShapelintPlugin
flake8_plugin.ShapelintPlugin.version
flake8_plugin.ShapelintPlugin.add_options
flake8_plugin.ShapelintPlugin.parse_options

# Signatures a protocol dictates: argparse calls an Action with the option string, and a
# context manager's __exit__ receives the exception.
_.option_string
_.exc_info

# The symbolic core is not wired into the engine yet (docs/design/symbolic-sizes.md): SHP203's
# "smallest counterexample" is this method, used by tests/core/test_symbolic.py until then.
symbolic.SizeSet.smallest_missing
