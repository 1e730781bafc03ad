"""``shapelint server``: the Language Server Protocol over stdio (the ``lsp`` extra: pygls and
lsprotocol).

- ``convert``: positions and diagnostics between shapelint and the protocol;
- ``views``: hovers and inlay hints from an analysis's shapes;
- ``actions``: fixes, "fix all safe" and ``# noqa`` as code actions;
- ``settings``: the editor's settings over each file's project configuration;
- ``analysis``: one analysis of a buffer (on the worker thread);
- ``state``: the open buffers, their analyses, debouncing and coalescing;
- ``protocol``: the pygls handlers, thin.

Nothing here is imported by the core install: only ``shapelint server`` loads it, after
checking that the extra is installed.
"""
