"""The subpackages import downward only: no cycle between them.

Every import of every module counts, at module level or inside a function
(a lazy import is still a dependency), absolute or relative."""
import ast
from typing import Dict, List, Set

from repo_paths import REPO

PACKAGE = REPO / 'higherhrnet_plugin'


def _unit(module: str) -> str:
    """The subpackage (or top-level module) of a dotted module name under
    the package: ``higherhrnet_plugin.core.grouping`` -> ``core``."""
    parts = module.split('.')
    return parts[1] if len(parts) > 1 else parts[0]


def import_graph() -> Dict[str, Set[str]]:
    """subpackage -> the other subpackages its modules import."""
    graph: Dict[str, Set[str]] = {}
    for path in PACKAGE.rglob('*.py'):
        rel = path.relative_to(PACKAGE.parent).with_suffix('')
        parts = list(rel.parts)
        if parts[-1] == '__init__':
            parts = parts[:-1]
        module = '.'.join(parts)
        package = parts if path.name == '__init__.py' else parts[:-1]
        src = _unit(module)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: List[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - node.level + 1]
                    target = '.'.join(base + ([node.module]
                                              if node.module else []))
                    names = [target] if node.module else [
                        f'{target}.{a.name}' for a in node.names]
                else:
                    names = [node.module or '']
            for name in names:
                if name.startswith('higherhrnet_plugin.'):
                    dst = _unit(name)
                    if dst != src:
                        graph.setdefault(src, set()).add(dst)
    return graph


def find_cycle(graph: Dict[str, Set[str]]) -> List[str]:
    """One cycle as [a, b, ..., a], or []."""
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        stack.pop()
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_find_cycle_finds_one():
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == \
        ['a', 'b', 'c', 'a']
    assert find_cycle({'a': {'b'}, 'b': {'c'}}) == []


def test_subpackages_import_downward_only():
    graph = import_graph()
    # the graph is real: the codec sits on the numpy core
    assert 'core' in graph['codecs'] and 'core' in graph['deploy']
    cycle = find_cycle(graph)
    assert not cycle, 'import cycle between subpackages: ' + ' -> '.join(
        cycle)


def test_core_and_deploy_need_no_torch_side_subpackage():
    """The torch-free runtime imports only ``core`` and ``deploy`` (and the
    export, which needs the stack anyway, ``models``)."""
    graph = import_graph()
    assert graph.get('core', set()) == set()
    assert graph['deploy'] <= {'core', 'models'}
