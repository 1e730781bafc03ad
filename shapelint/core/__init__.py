"""The pure core: shapes, the layer table and the solver.

Nothing here knows about the command line or torch; the analysis layer and the front
ends build on it.
"""
