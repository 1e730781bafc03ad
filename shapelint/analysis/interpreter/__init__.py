"""The parts of the constant-evaluation ``Interpreter`` (``analysis/evaluate.py``), by concern.

Handlers of ast nodes are functions ``handler(interp, node, scope)`` found in a table by node
type (``expressions.EXPRESSIONS``, ``statements.SIMPLE_STATEMENTS`` and ``COMPOUND_STATEMENTS``);
operations the torch layer may also call (``call``, ``subscript``, ``assign``, ...) are methods of
the Interpreter, grouped in the mixins ``Calls``, ``Operations`` and ``Assignment``.
"""
