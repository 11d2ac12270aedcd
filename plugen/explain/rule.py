"""A hidden-rule decision model: the black box whose decisions the explainer must explain.

A rule is a boolean expression over attributes, e.g. ``"round and not red"`` or
``"large or x_pos > 0.5"``: binary attribute names (true when the label is 1), comparisons of
an attribute with a number, ``and`` / ``or`` / ``not`` and parentheses. :func:`fit_decision_model`
(``plugen.explain.cnn``) trains a small CNN on images labelled by the rule; the explainer only
ever sees the CNN. This module needs only numpy, so configs are checked without torch.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping, Sequence

import numpy as np

_COMPARE = {
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
}


class Rule:
    """A parsed rule over ``kinds`` (attribute -> "binary" | "continuous").

    Raises ValueError (one line, naming the rule) for a syntax error, an unknown attribute,
    a continuous attribute used without a comparison, or any other construct.
    """

    def __init__(self, text: str, kinds: Mapping[str, str]) -> None:
        self.text, self.kinds = text, dict(kinds)
        try:
            tree = ast.parse(text, mode="eval").body
        except SyntaxError:
            raise ValueError(f"rule {text!r}: not a boolean expression over attributes") from None
        self.attributes: list[str] = []
        self._tree = tree
        self._check(tree)

    def _fail(self, what: str) -> ValueError:
        return ValueError(f"rule {self.text!r}: {what}; attributes: {list(self.kinds)}")

    def _name(self, node: ast.AST) -> str:
        if not isinstance(node, ast.Name):
            raise self._fail(f"expected an attribute name, got {ast.unparse(node)!r}")
        if node.id not in self.kinds:
            raise self._fail(f"unknown attribute {node.id!r}")
        if node.id not in self.attributes:
            self.attributes.append(node.id)
        return node.id

    def _check(self, node: ast.AST) -> None:
        if isinstance(node, ast.BoolOp):
            for v in node.values:
                self._check(v)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            self._check(node.operand)
        elif isinstance(node, ast.Compare):
            ok = len(node.ops) == 1 and type(node.ops[0]) in _COMPARE
            number = isinstance(node.comparators[0], ast.Constant) and isinstance(
                node.comparators[0].value, (int, float)
            )
            if not (ok and number):
                raise self._fail("comparisons are 'attribute > number' (or >=, <, <=)")
            self._name(node.left)
        elif isinstance(node, ast.Name):
            if self.kinds.get(node.id) == "continuous":
                raise self._fail(f"continuous {node.id!r} needs a comparison, e.g. {node.id} > 0.5")
            self._name(node)
        else:
            raise self._fail(f"unsupported expression {ast.unparse(node)!r}")

    def __call__(self, labels: Mapping[str, Sequence[float]]) -> np.ndarray:
        """The rule on labels (attribute -> values ``(n,)``, e.g. a DataFrame): bool ``(n,)``."""
        return np.asarray(self._eval(self._tree, labels), dtype=bool)

    def _eval(self, node: ast.AST, labels) -> np.ndarray:
        if isinstance(node, ast.BoolOp):
            parts = [self._eval(v, labels) for v in node.values]
            combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
            out = parts[0]
            for p in parts[1:]:
                out = combine(out, p)
            return out
        if isinstance(node, ast.UnaryOp):
            return ~self._eval(node.operand, labels)
        if isinstance(node, ast.Compare):
            values = np.asarray(labels[node.left.id], dtype=float)
            return _COMPARE[type(node.ops[0])](values, float(node.comparators[0].value))
        return np.asarray(labels[node.id], dtype=float) > 0.5
