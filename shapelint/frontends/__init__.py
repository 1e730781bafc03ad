"""Thin front ends over the analysis: the command line, the runner, config, the flake8 plugin,
the fixer and the output formats."""
