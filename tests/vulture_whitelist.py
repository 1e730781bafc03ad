"""What vulture takes for dead code in shapelint/ but is not (tests/test_dead_code.py).

vulture reads this file as code that uses each name below; the test also imports it, so an entry
whose name is gone from the package fails there and is deleted, instead of hiding new dead code
of the same name. Each entry says who uses the name.
"""

from shapelint import analysis
from shapelint.analysis import analyze, evaluate, propagate
from shapelint.core import layers
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

# The interpreter dispatches by node type: getattr(self, "_eval_" + type(node).__name__) and
# "_exec_" likewise.
evaluate.Interpreter._eval_Constant
evaluate.Interpreter._eval_JoinedStr
evaluate.Interpreter._eval_Name
evaluate.Interpreter._eval_Tuple
evaluate.Interpreter._eval_List
evaluate.Interpreter._eval_Set
evaluate.Interpreter._eval_Dict
evaluate.Interpreter._eval_Attribute
evaluate.Interpreter._eval_Subscript
evaluate.Interpreter._eval_Slice
evaluate.Interpreter._eval_BinOp
evaluate.Interpreter._eval_UnaryOp
evaluate.Interpreter._eval_BoolOp
evaluate.Interpreter._eval_Compare
evaluate.Interpreter._eval_IfExp
evaluate.Interpreter._eval_Lambda
evaluate.Interpreter._eval_DictComp
evaluate.Interpreter._eval_NamedExpr
evaluate.Interpreter._eval_Await
evaluate.Interpreter._eval_Call
evaluate.Interpreter._exec_If
evaluate.Interpreter._exec_While
evaluate.Interpreter._exec_Try
evaluate.Interpreter._exec_ClassDef
evaluate.Interpreter._exec_Match

# TODO after merge: owned by pipeline (analysis/analyze.py): dead, to be removed there.
analyze.FileAnalysis._pragma_at

# TODO after merge: owned by handlers (analysis/propagate.py, core/layers.py): dead, to be
# removed there.
propagate.Finding.fix_message
layers.LayerSpec.param_names
layers.get_layer
