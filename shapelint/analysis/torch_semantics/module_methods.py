"""Modules as values: the containers (``nn.Sequential``, ``ModuleList``, ``ModuleDict``), the
attributes a layer keeps, and the methods of ``nn.Module`` (``self.blocks.append(...)``).

A method's handler is ``(propagator, module, name, args, kwargs, node) -> value``; a name with no
handler gives an unknown value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, NamedTuple

from ...core.layers import UNKNOWN, LayerSpec
from ..evaluate import _STAR_UNKNOWN, iter_known
from ..values import ModuleDictModule, ModuleListModule, ModuleValue, SequentialModule, UserModule
from .module_calls import sequential_forward
from .registry import Args, Kwargs, registry

if TYPE_CHECKING:
    from ..propagate import Propagator

ModuleMethod = Callable[["Propagator", ModuleValue, str, List[Any], Dict[str, Any], Any], Any]


# ----------------------------------------------------------------------------- containers


def add_child(module: ModuleValue, name: str, value: Any) -> None:
    """Register ``value`` as child ``name``; anything but a module (or None) makes ``module``
    incomplete."""
    if isinstance(value, ModuleValue):
        module.children[name] = value
    elif value is None:
        module.children[name] = None  # type: ignore[assignment]
    else:
        module.incomplete = True


def _append_all(module: ModuleValue, values: Any) -> None:
    for value in values:
        add_child(module, str(len(module.children)), value)


def _fill_sequential(module: ModuleValue, args: List[Any]) -> None:
    if len(args) == 1 and isinstance(args[0], dict):
        for key, value in args[0].items():
            add_child(module, str(key), value)
    else:
        _append_all(module, args)


def _fill_module_list(module: ModuleValue, args: List[Any]) -> None:
    if not args:
        return
    items = iter_known(args[0])
    if items is None:
        module.incomplete = True
        return
    _append_all(module, items)


def _fill_module_dict(module: ModuleValue, args: List[Any]) -> None:
    if not args:
        return
    source = args[0]
    if isinstance(source, dict):
        for key, value in source.items():
            add_child(module, str(key), value)
        return
    items = iter_known(source)
    if items is None:
        module.incomplete = True
        return
    for item in items:
        if isinstance(item, (tuple, list)) and len(item) == 2:
            add_child(module, str(item[0]), item[1])
        else:
            module.incomplete = True


class Container(NamedTuple):
    """The value of a torch container, and how its constructor arguments become its children."""

    value_class: type
    fill: Callable[[ModuleValue, List[Any]], None]


#: By torch name.
CONTAINERS: Mapping[str, Container] = registry(
    (("Sequential",), Container(SequentialModule, _fill_sequential)),
    (("ModuleList",), Container(ModuleListModule, _fill_module_list)),
    (("ModuleDict",), Container(ModuleDictModule, _fill_module_dict)),
)

#: The container a user class derives from (``ClassInfo.kind``).
_CONTAINER_OF_KIND = {"sequential": "Sequential", "modulelist": "ModuleList", "moduledict": "ModuleDict"}


def fill_container(module: ModuleValue, kind: str, args: List[Any]) -> None:
    """The children of a ``kind`` container (``Sequential``...) built with ``args``."""
    if _STAR_UNKNOWN in args:
        module.incomplete = True
        return
    CONTAINERS[kind].fill(module, args)


def base_init(module: UserModule, args: Args, kwargs: Kwargs) -> None:
    """``super().__init__(...)`` of a user class: a container's fills it."""
    kind = _CONTAINER_OF_KIND.get(module.cls.kind if module.cls is not None else "module")
    if kind is not None:
        fill_container(module, kind, args)


# ----------------------------------------------------------------------------- layer attributes


def layer_attribute(spec: LayerSpec, params: Dict[str, Any], name: str) -> Any:
    """``layer.NAME`` for a constructor parameter ``name``, as torch keeps it."""
    if spec.stored_attributes is not None and name not in spec.stored_attributes:
        return UNKNOWN  # a constructor argument the module does not keep as it is
    value = params[name]
    fallback = dict(spec.attribute_fallbacks).get(name)
    if fallback is not None:
        return params[fallback] if value is None else value
    if name in spec.tuple_attributes:
        if isinstance(value, int) and not isinstance(value, bool):
            return (value,) * (spec.spatial_dims or 1)
        if isinstance(value, list):
            return tuple(value)
    return value


# ----------------------------------------------------------------------------- methods


def _base_init(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    if isinstance(module, UserModule):
        base_init(module, args, kwargs)
    return None


def _base_forward(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``super().forward(x)`` of a user class deriving from ``nn.Sequential``."""
    return sequential_forward(p, module, args, kwargs, node)


def _call(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    return p.call_module(module, args, kwargs, node)


def _add_module(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    if len(args) != 2:
        return UNKNOWN
    key, value = args
    if isinstance(key, str) and (isinstance(value, ModuleValue) or value is None):
        module.children[key] = value  # type: ignore[assignment]
    else:
        module.incomplete = True
    return None


def _append(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    if len(args) != 1 or not isinstance(module, (ModuleListModule, SequentialModule, UserModule)):
        return UNKNOWN
    add_child(module, str(len(module.children)), args[0])
    return module


def _extend(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    if len(args) != 1:
        return UNKNOWN
    items = iter_known(args[0])
    if items is None:
        module.incomplete = True
    else:
        _append_all(module, items)
    return module


def _insert(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    if len(args) != 2 or not isinstance(args[0], int):
        return UNKNOWN
    values = list(module.children.values())
    values.insert(args[0], args[1])
    module.children.clear()
    _append_all(module, values)
    return None


def _setitem(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``container[key] = value``."""
    if len(args) != 2:
        return UNKNOWN
    key, value = args
    if isinstance(module, ModuleDictModule) and isinstance(key, str):
        add_child(module, key, value)
    elif isinstance(key, int) and not isinstance(key, bool):
        keys = list(module.children)
        if -len(keys) <= key < len(keys) and isinstance(value, ModuleValue):
            module.children[keys[key]] = value
        else:
            module.incomplete = True
    else:
        module.incomplete = True
    return None


def _slice(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``container[a:b]``: a container of the same kind with those children."""
    items = list(module.children.items())[args[0]]
    copy = type(module)(module.type_name, node=module.node, statement=module.statement)
    for i, (key, value) in enumerate(items):
        copy.children[key if isinstance(module, SequentialModule) else str(i)] = value
    return copy


def _register_tensor(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``register_buffer(name, tensor)`` / ``register_parameter``."""
    if len(args) < 2 or not isinstance(args[0], str):
        return UNKNOWN
    if isinstance(module, UserModule):
        module.attrs[args[0]] = args[1]
    return None


def _modules(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    return [m for _, m in module.named_modules()]


def _named_modules(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    return list(module.named_modules())


def _children(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    return [m for m in module.children.values() if isinstance(m, ModuleValue)]


def _named_children(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    return [(k, m) for k, m in module.children.items() if isinstance(m, ModuleValue)]


def _dict_view(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``keys()`` / ``values()`` / ``items()`` of a ModuleDict."""
    if not isinstance(module, ModuleDictModule):
        return UNKNOWN
    return list(getattr(module.children, name)())


def _same_module(p: Propagator, module: ModuleValue, name: str, args: Args, kwargs: Kwargs, node) -> Any:
    """``.to(device)``, ``.eval()`` and the like return the module itself."""
    return module


MODULE_METHODS: Mapping[str, ModuleMethod] = registry(
    (("__base_init__",), _base_init),
    (("__base_forward__",), _base_forward),
    (("__call__",), _call),
    (("add_module", "register_module"), _add_module),
    (("append",), _append),
    (("extend",), _extend),
    (("insert",), _insert),
    (("__setitem__",), _setitem),
    (("__slice__",), _slice),
    (("register_buffer", "register_parameter"), _register_tensor),
    (("modules",), _modules),
    (("named_modules",), _named_modules),
    (("children",), _children),
    (("named_children",), _named_children),
    (("keys", "values", "items"), _dict_view),
    (("to", "cuda", "cpu", "eval", "train", "float", "double", "half", "requires_grad_", "apply",
      "bfloat16", "type", "share_memory"), _same_module),
)
