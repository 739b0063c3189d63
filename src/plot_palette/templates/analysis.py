"""Static analysis of prompt templates: what they may not do, what they read, which steps.

Everything here walks the Jinja2 AST, so it runs when a template is saved, long before a job:

* ``static_checks`` refuses what the sandbox forbids (names or attributes starting with ``_``,
  the removed globals and filters, ``format``/``mro`` style attribute calls), so a user learns at
  once instead of at render time.
* ``seed_paths`` returns the dotted seed fields a prompt reads (``author.biography``,
  ``poem.text`` even when sliced or filtered), leaving out ``steps.*``, loop and ``set``
  variables (ADR-017), and fields the prompt is ready to miss: read through ``default`` or
  tested with ``is defined`` / ``is undefined``.
* ``step_references`` returns the step ids a prompt reads through ``steps.<id>``.
"""

from __future__ import annotations

from jinja2 import nodes
from jinja2.meta import find_undeclared_variables

from plot_palette.errors import TemplateValidationError
from plot_palette.templates.sandbox import REMOVED_FILTERS, REMOVED_GLOBALS, environment

FORBIDDEN_NAMES = REMOVED_GLOBALS | {
    "self",
    "config",
    "request",
    "session",
    "g",
    "url_for",
    "get_flashed_messages",
    "os",
    "sys",
    "builtins",
    "__builtins__",
    "import",
    "eval",
    "exec",
    "open",
    "globals",
    "locals",
    "getattr",
    "setattr",
}
FORBIDDEN_ATTRIBUTES = frozenset(
    {"format", "format_map", "mro", "func_globals", "gi_frame", "f_globals", "f_locals"}
)
STEPS = "steps"
MAX_LOOP_DEPTH = 2
_DEFAULT_FILTERS = frozenset({"default", "d"})
_DEFINED_TESTS = frozenset({"defined", "undefined"})


def parse(source: str, where: str) -> nodes.Template:
    """Parse a prompt, turning syntax errors into a message with the line number."""
    try:
        return environment().parse(source)
    except Exception as error:  # jinja2.TemplateSyntaxError and friends
        line = getattr(error, "lineno", None)
        message = getattr(error, "message", None) or str(error)
        at = f" at line {line}" if line else ""
        raise TemplateValidationError(f"{where}: syntax error{at}: {message}") from None


# How deeply a template's syntax may nest (an expression of a thousand chained operators
# takes seconds to compile and then overflows Python's compiler).
MAX_SYNTAX_DEPTH = 100


def _syntax_depth(tree: nodes.Node) -> tuple[int, int]:
    """The deepest nesting of the syntax tree, and the line where it is (walked without
    recursion)."""
    deepest, line, pending = 0, 0, [(tree, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > deepest:
            deepest, line = depth, getattr(node, "lineno", 0) or line
        pending.extend((child, depth + 1) for child in node.iter_child_nodes())
    return deepest, line


def static_checks(tree: nodes.Template, where: str) -> None:
    """Refuse what could reach Python internals, the environment or files, and syntax nested
    so deeply that compiling it would take the compiler down."""
    depth, deepest_line = _syntax_depth(tree)
    if depth > MAX_SYNTAX_DEPTH:
        raise TemplateValidationError(
            f"{where}: the template nests more than {MAX_SYNTAX_DEPTH} levels deep "
            f"(line {deepest_line})"
        )
    for statement in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        raise TemplateValidationError(
            f"{where}: include, import and extends are not allowed (line {statement.lineno})"
        )
    for node in tree.find_all((nodes.Name, nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Test)):
        line = f" (line {node.lineno})"
        if isinstance(node, nodes.Name):
            if node.name.startswith("_") or node.name in FORBIDDEN_NAMES:
                raise TemplateValidationError(f"{where}: {node.name!r} is not allowed{line}")
        elif isinstance(node, nodes.Getattr):
            if node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRIBUTES:
                raise TemplateValidationError(
                    f"{where}: attribute {node.attr!r} is not allowed{line}"
                )
        elif isinstance(node, nodes.Getitem):
            key = node.arg.value if isinstance(node.arg, nodes.Const) else None
            if isinstance(key, str) and (key.startswith("_") or key in FORBIDDEN_ATTRIBUTES):
                raise TemplateValidationError(f"{where}: key {key!r} is not allowed{line}")
        elif isinstance(node, nodes.Filter):
            if node.name in REMOVED_FILTERS:
                raise TemplateValidationError(f"{where}: filter {node.name!r} is not allowed{line}")
            if node.name not in environment().filters:
                raise TemplateValidationError(f"{where}: unknown filter {node.name!r}{line}")
            for keyword in node.kwargs:
                if keyword.key == "attribute":
                    raise TemplateValidationError(
                        f"{where}: filter arguments by attribute are not allowed{line}"
                    )
        elif isinstance(node, nodes.Test) and node.name not in environment().tests:
            raise TemplateValidationError(f"{where}: unknown test {node.name!r}{line}")
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name not in environment().globals:
            raise TemplateValidationError(
                f"{where}: {call.node.name!r} cannot be called (line {call.lineno})"
            )
    _check_loop_depth(tree, where, 0)


def _check_loop_depth(node: nodes.Node, where: str, depth: int) -> None:
    """Refuse loops nested deeper than ``MAX_LOOP_DEPTH``: their cost multiplies per level."""
    for child in node.iter_child_nodes():
        inner = depth + isinstance(child, nodes.For)
        if inner > MAX_LOOP_DEPTH:
            raise TemplateValidationError(
                f"{where}: loops may be nested {MAX_LOOP_DEPTH} deep at most (line {child.lineno})"
            )
        _check_loop_depth(child, where, inner)


def _chain(node: nodes.Node) -> list[str] | None:
    """``a.b['c']`` -> ``["a", "b", "c"]``; None when the chain has a computed part."""
    parts: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            parts.append(node.attr)
            node = node.node
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            if not isinstance(node.arg.value, str):
                return None
            parts.append(node.arg.value)
            node = node.node
        elif isinstance(node, nodes.Name):
            parts.append(node.name)
            return list(reversed(parts))
        else:
            return None


def _longest_chains(tree: nodes.Template, skip: frozenset[int] = frozenset()) -> list[list[str]]:
    """Every maximal field chain (``poem.text`` in ``poem.text[:10]``, not also ``poem``).

    Chains whose outermost node is in ``skip`` (by ``id``) are left out.
    """
    chains: list[list[str]] = []
    inner: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        child = getattr(node, "node", None)
        if isinstance(child, nodes.Getattr | nodes.Getitem):
            inner.add(id(child))
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if id(node) in inner or id(node) in skip:
            continue
        if isinstance(node, nodes.Name):
            if node.ctx != "load":
                continue
            chains.append([node.name])
            continue
        chain = _chain(node)
        if chain is None and isinstance(node, nodes.Getitem):
            chain = _chain(node.node)  # a slice or computed key: the field itself is read
        if chain is not None:
            chains.append(chain)
    return chains


def _optional_reads(tree: nodes.Template) -> tuple[frozenset[int], set[str]]:
    """Reads a prompt is ready to miss: ``x | default(...)`` and ``x is defined`` subjects.

    Returns the nodes read through ``default`` (that read alone does not make the field
    required) and the paths tested for definedness (optional everywhere in the prompt, as in
    ``{% if a.b is defined %}{{ a.b }}{% endif %}``).
    """
    defaulted: set[int] = set()
    tested: set[str] = set()
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        subject = node.node
        if subject is None:
            continue
        if isinstance(node, nodes.Filter) and node.name in _DEFAULT_FILTERS:
            defaulted.add(id(subject))
        elif isinstance(node, nodes.Test) and node.name in _DEFINED_TESTS:
            chain = _chain(subject)
            if chain is not None:
                tested.add(".".join(chain))
    return frozenset(defaulted), tested


def seed_paths(tree: nodes.Template) -> set[str]:
    """Dotted seed fields the prompt needs every record to have."""
    free = find_undeclared_variables(tree) - {STEPS} - set(environment().globals)
    defaulted, tested = _optional_reads(tree)
    paths: set[str] = set()
    for chain in _longest_chains(tree, defaulted):
        path = ".".join(chain)
        if chain[0] in free and not any(
            path == guard or path.startswith(guard + ".") for guard in tested
        ):
            paths.add(path)
    # a name read both whole and through attributes only needs its attributes
    return {path for path in paths if not any(other.startswith(path + ".") for other in paths)}


def step_references(tree: nodes.Template) -> set[str]:
    """Step ids read through ``steps.<id>`` or ``steps['<id>']``."""
    return {
        chain[1]
        for chain in _longest_chains(tree)
        if chain[0] == STEPS and len(chain) > 1 and STEPS in find_undeclared_variables(tree)
    }
