#!/usr/bin/env python
"""Mutation testing by hand: change one thing in a module, run the tests that should notice, put it back.

    .venv/bin/python tools/mutate.py list accounts/holds.py
    .venv/bin/python tools/mutate.py run accounts/holds.py [N ...] -- tests/phishing tests/accounts

A mutant is one small change the tests of a rule should fail on: a comparison turned (``<`` and ``<=``,
``==`` and ``!=``, ``in`` and ``not in``…), ``and`` and ``or`` swapped, a ``not`` dropped, a whole number
plus one, an ``if`` never taken, a call statement removed, a ``return True`` / ``False`` turned. ``run``
writes each mutant (all, or the numbers given) over the module, runs pytest with ``-x`` and the arguments
after ``--``, and prints KILLED (a test failed), TIMEOUT (the tests ran longer than MUTATE_TIMEOUT seconds,
default 600: a loop the mutant made endless; the tests did not pass) or SURVIVED; the module is put back after
each, and on Ctrl-C or SIGTERM. A survivor is a place to look, not a verdict: many are equivalent (a cache size, a probe
value, a check made twice). Those that change what a customer, the branch or the audit log sees want a test.
Use a clone: the working tree's module is rewritten while it runs. The module must have no uncommitted change.

Session 41 ran it over the gate, locks, holds, the new-payee cap, limits, the verifier, the money engine,
the transaction methods and 振込予約 (about 450 mutants); session 42 over the senders' count, known
environments, the draft steps, 振込's and Pay-easy's services, the token flows, login, the password
services, the session middleware, the rate limit, the branch's services and the notices (about 630
more). The PostgreSQL-only survivors ran again on PostgreSQL; the tests each run led to name it in their
commits (a module's resets are reached by tests/branch: run it with those too). Session 43 ran it over
the 全銀 file and records, the audit seals, the staff's enrolment, login, views and services, the
passkeys' ceremony, authorization, login and views, 入出金明細, 照会, the bank and branch search, the
session store, the login's code step, the limit and e-mail pages, the token pages, the feature phone's
views, 振込's and Pay-easy's views, the customer's own views and the branch's admin (about 950 more). Run the views with
``-m "not browser"`` and read a survivor there as "no test but a browser's guards this": several were.
Session 44 ran it over the token flows' views, the admin's base classes and the staff's and payments'
admins (about 200 more); accounts/steps.py was listed, and its survivors read as equivalent (a page sent again
with other values is told by ``now_is``): the five modules left by session 43 are run. It ran too over
accounts/forms.py, payments/forms.py, ibank/text.py, accounts/backends.py, payments/payee_check.py and
payments/billers.py (run the forms with tests/payments and the whole suite: their rules are met there),
and over otp/forms.py, branch/forms.py, ibank/actor.py, accounts/login_history.py, payments/ui.py and
otp/models.py with the whole suite (about 430 mutants in the session).
"""

import ast
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SWAP = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


def sites(tree: ast.AST) -> list[tuple[str, ast.AST, int | None]]:
    """Every place a mutant can be made, in ``ast.walk`` order (stable for one source text)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            found += [("cmp", node, i) for i, op in enumerate(node.ops) if type(op) in SWAP]
        elif isinstance(node, ast.BoolOp):
            found.append(("bool", node, None))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            found.append(("not", node, None))
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            found.append(("int", node, None))
        elif isinstance(node, ast.If):
            found.append(("iffalse", node, None))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            found.append(("nocall", node, None))
        elif isinstance(node, ast.Return) and isinstance(node.value, ast.Constant) and type(node.value.value) is bool:
            found.append(("ret", node, None))
    return found


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
            elif isinstance(value, list):
                value[:] = [new if item is old else item for item in value]


def mutant(source: str, number: int) -> str:
    """The module's text with mutant ``number`` made."""
    tree = ast.parse(source)
    kind, node, i = sites(tree)[number]
    if kind == "cmp":
        node.ops[i] = SWAP[type(node.ops[i])]()
    elif kind == "bool":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "not":
        _replace(tree, node, node.operand)
    elif kind == "int":
        node.value += 1
    elif kind == "iffalse":
        node.test = ast.Constant(False)
    elif kind == "nocall":
        node.value = ast.Constant(None)
    elif kind == "ret":
        node.value = ast.Constant(not node.value.value)
    return ast.unparse(tree)


def describe(source: str, number: int) -> str:
    kind, node, _ = sites(ast.parse(source))[number]
    return f"{kind} L{node.lineno} {source.splitlines()[node.lineno - 1].strip()[:100]}"


def _interrupted(signum, frame):
    raise KeyboardInterrupt


def _pytest(pytest_args: list[str]) -> int | None:
    """pytest's exit code, or None when it ran past MUTATE_TIMEOUT: then it and its workers are killed (a
    session of their own, so that pytest-xdist's workers go too, here and on Ctrl-C)."""
    tests = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *pytest_args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        return tests.wait(timeout=float(os.environ.get("MUTATE_TIMEOUT", "600")))
    except subprocess.TimeoutExpired:
        return None
    finally:
        if tests.poll() is None:
            os.killpg(tests.pid, signal.SIGKILL)
            tests.wait()


def run(module: Path, numbers: list[int], pytest_args: list[str]) -> None:
    if subprocess.run(["git", "diff", "--quiet", "--", str(module)], check=False).returncode != 0:
        sys.exit(f"{module} has uncommitted changes: commit them or use a clone")
    source = module.read_text()
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        for number in numbers or range(len(sites(ast.parse(source)))):
            module.write_text(mutant(source, number))
            started = time.monotonic()
            returncode = _pytest(pytest_args)
            took = time.monotonic() - started
            if returncode is None:
                print(f"{number} TIMEOUT {describe(source, number)} ({took:.0f} s)", flush=True)
                continue
            # 1: a test failed; 2: -x stopped the run under pytest-xdist, or the mutant broke an import (both:
            # the tests noticed); 3: internal error, 4: usage, 5: no tests collected (no verdict)
            if returncode not in (0, 1, 2):
                print(f"{number} ERROR pytest exited {returncode}: not a verdict", flush=True)
                continue
            verdict = "SURVIVED" if returncode == 0 else "KILLED"
            print(f"{number} {verdict} {describe(source, number)} ({took:.0f} s)", flush=True)
    finally:
        module.write_text(source)


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] not in ("list", "run"):
        sys.exit(__doc__)
    module = Path(argv[1])
    source = module.read_text()
    if argv[0] == "list":
        for number in range(len(sites(ast.parse(source)))):
            print(number, describe(source, number))
        return
    if "--" not in argv:
        sys.exit("run: give the tests to run after --")
    split = argv.index("--")
    run(module, [int(n) for n in argv[2:split]], argv[split + 1 :])


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except KeyboardInterrupt:
        sys.exit("interrupted; the module is as it was")
