"""The house's layers (docs: ../shared/DESIGN.md, section 1): layers only import downward.

Every module's imports are read from its source (ast), imports inside functions included, so a
lazy import cannot hide an upward edge or a cycle. Imports under `if TYPE_CHECKING:` are left out:
they never run, and annotations may name a type from anywhere.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "alphago"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST):
    """Every Import / ImportFrom node, in functions too, except under `if TYPE_CHECKING:`."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(module: str) -> set[str]:
    """The modules `module` imports: dotted names, relative imports resolved; `from pkg import sub`
    names the submodule pkg.sub (not pkg itself) when sub is a module."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
            continue
        if node.level:
            base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module
        subs = [f"{source}.{a.name}" for a in node.names if f"{source}.{a.name}" in MODULES]
        out.update(subs)
        if node.module is not None or len(subs) < len(node.names):
            out.add(source)
    out.discard(module)
    return out


GRAPH = {m: imports_of(m) for m in MODULES}


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _offenders(modules, forbidden) -> list[str]:
    return sorted(f"{m} imports {i}" for m in modules for i in GRAPH[m]
                  if any(_under(i, f) for f in forbidden))


LOWER = ("alphago.train", "alphago.play", "alphago.net", "alphago.selfplay", "alphago.mcts", "alphago.go")


def test_lower_layers_do_not_import_experiments():
    lower = [m for m in MODULES if any(_under(m, p) for p in LOWER)]
    assert not _offenders(lower, ("alphago.experiments",))


def test_play_does_not_import_the_trainer():
    """Play needs a net's weights and its checkpoint meta (net/io.py), never the trainer."""
    assert not _offenders([m for m in MODULES if _under(m, "alphago.play")], ("alphago.train",))


BELOW_RUN = ("alphago.go", "alphago.mcts", "alphago.net", "alphago.data", "alphago.train", "alphago.selfplay",
             "alphago.goenv", "alphago.config")


def test_layers_below_the_run_loop_do_not_import_it():
    """train/ (the learner, `alphago train-offline`) and everything under it never import the run loop:
    `alphago train` lives in run/commands.py, above both the learner and the workers."""
    below = [m for m in MODULES if any(_under(m, p) for p in BELOW_RUN)]
    assert not _offenders(below, ("alphago.run", "alphago.play", "alphago.eval", "alphago.bench", "alphago.cli"))


def test_train_commands_do_not_import_the_run_layer():
    train = [m for m in MODULES if _under(m, "alphago.train")]
    assert not _offenders(train, ("alphago.run",))
    assert "alphago.run.commands" in GRAPH["alphago.cli"]


def test_the_learner_does_not_import_self_play():
    """Reanalyse's searches reach the learner from its runner (train.learner.ReanalyseHooks): the
    learner, the trainer and the ledgers import nothing of selfplay/ (the level beside them)."""
    for m in ("alphago.train.learner", "alphago.train.trainer", "alphago.train.bits", "alphago.train.checkpoint"):
        assert not [i for i in GRAPH[m] if _under(i, "alphago.selfplay")], m


def test_one_schedule_loop():
    """The schedule is written once (run/schedule.py): the Ray-free runs (run/local.py) and `alphago train`
    (run/train.py) both drive it; only run/train.py reaches Ray (run/remote.py), and the Ray-free runs
    never load it."""
    assert "alphago.run.schedule" in GRAPH["alphago.run.local"]
    assert "alphago.run.schedule" in GRAPH["alphago.run.train"]
    for m in ("alphago.run.schedule", "alphago.run.local", "alphago.run.progress", "alphago.run.resources",
              "alphago.run.evaluation"):
        reached = _closure(m)
        assert "alphago.run.remote" not in reached and not any(_under(i, "ray") for i in reached), m


CONFIG_LEAVES = ("alphago.net.config", "alphago.mcts.config", "alphago.selfplay.config", "alphago.train.config")
HEAVY = ("alphago.go", "alphago.goenv", "torch", "numba")


def _closure(module: str) -> set[str]:
    """What importing `module` runs among alphago's modules, following explicit imports (a package's
    __init__ is not followed: alphago/mcts/__init__ loads the search, a leaf names its own file)."""
    seen, todo = set(), [module]
    while todo:
        m = todo.pop()
        for i in GRAPH.get(m, ()):
            if i not in seen:
                seen.add(i)
                if i in MODULES:
                    todo.append(i)
    return seen


@pytest.mark.parametrize("leaf", CONFIG_LEAVES)
def test_config_leaves_import_no_engine_torch_or_numba(leaf):
    bad = sorted(i for i in _closure(leaf) if any(_under(i, h) for h in HEAVY))
    assert not bad, f"{leaf} pulls in {bad}"


# alphago/config.py composes the leaves with the engine's own config types: Rules (go/rules.py, where
# DESIGN puts the rules, komi and move caps) and FeatureConfig (go/features.py, beside the encoder it
# configures); it reads a checkpoint's meta through net/io.py only inside the function that needs it.
CONFIG_ALLOWED = {"alphago.go.rules", "alphago.go.features", "alphago.net.io"}


def test_config_composer_imports_only_the_engine_config_types():
    direct = GRAPH["alphago.config"]
    bad = sorted(i for i in direct if any(_under(i, h) for h in HEAVY) and i not in CONFIG_ALLOWED)
    assert not bad, f"alphago.config imports {bad}"
    leaves = [i for i in direct if i.startswith("alphago.") and i not in CONFIG_ALLOWED]
    assert all(i in CONFIG_LEAVES or i == "alphago.mcts.targets" for i in leaves), leaves


RAY_MODULE = "alphago.run.remote"


def test_only_one_module_imports_ray():
    """Ray is imported in run/remote.py alone: the benchmarks, the ablation's Ray tasks and
    `alphago train` reach it through that module."""
    importers = sorted(m for m in MODULES if any(_under(i, "ray") for i in GRAPH[m]))
    assert importers == [RAY_MODULE]


def _cycles() -> list[list[str]]:
    """Strongly connected components (Tarjan) of more than one module."""
    edges = {m: sorted(i for i in GRAPH[m] if i in MODULES) for m in MODULES}
    index, low, on_stack, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for m in sorted(edges):
        if m not in index:
            visit(m)
    return out


def test_checkpoint_meta_is_read_through_its_type():
    """A checkpoint's meta is a CheckpointMeta (net/io.py) everywhere else: no module or script spells
    its keys (`data["meta"]`, `meta["step"]`, `meta.get("rules")`), so a key is named in one place."""
    import re
    pattern = re.compile(r"""\[["']meta["']\]|\bmeta\.get\(|\bmeta\[""")
    files = [p for m, p in MODULES.items() if m != "alphago.net.io"] + sorted((ROOT / "scripts").glob("*.py"))
    bad = [f"{p.relative_to(ROOT)}:{i}: {line.strip()}" for p in files
           for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not bad, bad


def test_no_import_cycles():
    assert not _cycles()


def test_the_check_sees_lazy_imports():
    """A function-level import counts: bench/selfplay.py imports the Ray module only inside its functions."""
    assert "alphago.run.remote" in GRAPH["alphago.bench.selfplay"]
    assert "alphago.run.remote" in GRAPH["alphago.run.train"]


def test_no_issue_numbers_a_reader_cannot_follow():
    """A comment or help text gives the reason, or a link a reader can open, not '(issue 12)'."""
    import re
    pattern = re.compile(r"\bissues? #?\d+", re.IGNORECASE)
    files = [p for d in ("alphago", "scripts", "configs") for p in (ROOT / d).rglob("*")
             if p.suffix in (".py", ".sh", ".yaml", ".js", ".html")]
    bad = [f"{p.relative_to(ROOT)}:{i}" for p in files for i, line in enumerate(p.read_text().splitlines(), 1)
           if pattern.search(line.replace("github.com/numba/numba/issues/", ""))]
    assert not bad, bad


TARGET_NAMES = ("visits", "pruned", "gumbel", "action", "argmax", "reinforce")


@pytest.mark.parametrize("module", ["alphago.data.replay", "alphago.train.learner", "alphago.train.bits",
                                   "alphago.train.config"])
def test_target_kinds_are_read_from_their_attributes(module):
    """mcts/targets.py's TargetKind says what a target is (soft, weighting, reanalysable, ...): no
    module compares a target's name with a string to find it out."""
    tree = ast.parse(MODULES[module].read_text())

    def names_a_target(e: ast.expr) -> bool:  # `target`, `kind`, `self.cfg.train.target`, ...
        return any(w in ast.unparse(e) for w in ("target", "kind"))

    bad = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Compare)
           if any(isinstance(c, ast.Constant) and c.value in TARGET_NAMES for c in [n.left, *n.comparators])
           and any(names_a_target(c) for c in [n.left, *n.comparators] if not isinstance(c, ast.Constant))]
    bad += [n.lineno for n in ast.walk(tree) if isinstance(n, (ast.Tuple, ast.List))
            and len(n.elts) > 1 and all(isinstance(e, ast.Constant) and e.value in TARGET_NAMES for e in n.elts)]
    assert not bad, f"{module}: lines {bad}"


def test_reanalysable_is_an_attribute_of_the_target_kind():
    from alphago.mcts.targets import TARGETS
    from alphago.train.config import REANALYSABLE
    assert REANALYSABLE == ("visits", "gumbel", "argmax")
    assert REANALYSABLE == tuple(k for k, t in TARGETS.items() if t.reanalysable)
