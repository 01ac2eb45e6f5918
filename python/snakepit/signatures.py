"""Tools' signatures: how a parameter is described in HELLO (docs/protocol.md, section 4.1), the quick
check of a call's arguments, and what to tell the caller when they do not fit (section 4.3)."""
import inspect
import types
from typing import Any, Dict, Optional, Tuple

from . import values

_PARAMETER_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional_only",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}


def plain_parameters(signature: inspect.Signature) -> Optional[Tuple[Tuple[str, ...], frozenset, Tuple[str, ...]]]:
    """(positional names, all names, required names) when every parameter is an ordinary named one
    (positional-or-keyword, or keyword-only); None when the signature needs Signature.bind."""
    positional = []
    required = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            positional.append(parameter.name)
        elif parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            return None
        if parameter.default is inspect.Parameter.empty:
            required.append(parameter.name)
    return tuple(positional), frozenset(signature.parameters), tuple(required)


def explain_mismatch(signature: inspect.Signature, args: list, kwargs: dict,
                     error: TypeError) -> Tuple[str, Dict[str, Any]]:
    """Why arguments do not fit a signature, and details to add to the error: every keyword the signature
    has no parameter for, with the closest parameter name not given yet, and surplus positional
    arguments, then whatever else Signature.bind finds.

    bind stops at the first problem, and it looks for missing parameters before unknown names, so on
    its own a misspelled keyword (``valu=1`` for ``value``) reads as "missing a required argument".
    """
    import difflib  # here, not at the top: about a millisecond of every worker's start, for a failure path
    parameters = list(signature.parameters.values())
    kinds = {p.kind for p in parameters}
    positional = [p.name for p in parameters
                  if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    problems = []
    extra: Dict[str, Any] = {}
    unexpected = []
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        # A positional-only name given as a keyword is left to bind, which says exactly that.
        known = {p.name for p in parameters}
        unexpected = [key for key in kwargs if key not in known]
        filled = set(positional[:len(args)]) | set(kwargs)
        candidates = [p.name for p in parameters if p.name not in filled and p.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
        for key in unexpected:
            close = difflib.get_close_matches(key, candidates, n=1)
            hint = " (did you mean %r?)" % close[0] if close else ""
            problems.append("unexpected keyword argument %r%s" % (key, hint))
        if unexpected:
            extra["unexpected"] = unexpected
    surplus = inspect.Parameter.VAR_POSITIONAL not in kinds and len(args) > len(positional)
    if surplus:
        problems.append("too many positional arguments: %d given, %s" % (
            len(args), "it takes at most %d" % len(positional) if positional else "it takes none"))
        extra["too_many_positional"] = {"given": len(args), "max": len(positional)}
    if not problems:
        return str(error), extra
    try:
        signature.bind(*(args[:len(positional)] if surplus else args),
                       **{key: value for key, value in kwargs.items() if key not in unexpected})
    except TypeError as rest:
        problems.append(str(rest))
    return "; ".join(problems), extra


def describe_parameter(parameter: inspect.Parameter) -> Dict[str, Any]:
    kind = parameter.kind
    out = {"name": parameter.name, "kind": _PARAMETER_KINDS[kind],
           "required": parameter.default is parameter.empty and kind not in (
               parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)}
    if parameter.default is not parameter.empty:
        if _is_protocol_value(parameter.default):
            out["default"] = parameter.default
        out["default_repr"] = _safe_repr(parameter.default)
    if parameter.annotation is not parameter.empty:
        out["annotation"] = annotation_text(parameter.annotation)
    return out


def annotation_text(annotation: Any) -> str:
    """An annotation as text: strings as written, classes by name, anything else by its repr."""
    if isinstance(annotation, str):
        return annotation
    generic_alias = getattr(types, "GenericAlias", ())
    if isinstance(annotation, type) and not isinstance(annotation, generic_alias):
        return annotation.__name__
    return _safe_repr(annotation).replace("typing.", "")


def _is_protocol_value(value: Any) -> bool:
    try:
        values.encode(value)
    except values.SerializationError:
        return False
    return True


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return "<unrepresentable %s>" % type(value).__qualname__
