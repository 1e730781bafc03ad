"""What torch does, for the interpreter of ``propagate.py``: registries from a name to a small
handler, each built once at import and never changed.

- ``tensor_methods``: ``TENSOR_METHODS`` (``x.view(...)``), ``TENSOR_ATTRIBUTES`` (``x.shape``);
- ``functions``: ``TORCH_FUNCTIONS`` (``torch.cat``), ``FUNCTIONALS`` (``F.interpolate``), and
  ``call_torch``, which routes a ``torch.*`` call to them or to a layer's construction;
- ``module_methods``: ``MODULE_METHODS`` (``self.blocks.append``), containers, layer attributes;
- ``module_calls``: ``MODULE_CALLS``, calling a layer, a container or a user module, by kind.

A handler takes the propagator first: through it, it reports findings and records the step that
made each tensor (``operations``). Shape arithmetic without reporting is in ``shape_ops``; the
shape rules of layers are the layer table's (``core/layers.py``).
"""
