# Copyright (c) OpenMMLab. All rights reserved.
"""The Hungarian solver of ``munkres`` 1.1.4, with its tie-breaking.

The original's matching cost ``round(tag distance) * 100 - value`` has many
equal optima, and which one ``munkres.Munkres().compute`` returns decides
which person a joint joins; a different solver (e.g.
``scipy.optimize.linear_sum_assignment``) returns other optima. This is the
same algorithm step for step, on the same float64 numbers, with
bookkeeping that makes each step cheap: the zeros of each row are listed
(recomputed only when step 6 changes the matrix), and each row and column
knows its star and prime.
"""
from typing import List, Tuple

import numpy as np


def _zeros_by_row(C: np.ndarray) -> List[List[int]]:
    rows, cols = np.nonzero(C == 0)
    out: List[List[int]] = [[] for _ in range(C.shape[0])]
    for r, c in zip(rows.tolist(), cols.tolist()):
        out[r].append(c)
    return out


class _Munkres:
    """The state of munkres' steps on the square matrix ``C`` (reduced in
    place): the zeros of each row, each row's and column's star, each
    row's prime, and the covers."""

    def __init__(self, C: np.ndarray):
        n = C.shape[0]
        self.C = C
        self.zeros = _zeros_by_row(C)
        self.star_in_row = [-1] * n
        self.star_in_col = [-1] * n
        self.prime_in_row = [-1] * n
        self.row_cov = [False] * n
        self.col_cov = [False] * n

    def star_greedily(self) -> None:
        """Step 2: star zeros greedily in row-major order."""
        for i, row_zeros in enumerate(self.zeros):
            for j in row_zeros:
                if self.star_in_col[j] < 0:
                    self.star_in_row[i] = j
                    self.star_in_col[j] = i
                    break

    def cover_star_columns(self) -> bool:
        """Step 3: cover the columns of the stars; True when every column
        is covered (the stars are the assignment)."""
        self.col_cov = [s >= 0 for s in self.star_in_col]
        return sum(self.col_cov) >= len(self.col_cov)

    def find_uncovered_zero(self, row: int, col: int) -> Tuple[int, int]:
        """munkres' ``find_a_zero`` scan from (``row``, ``col``); (-1, -1)
        where every zero is covered."""
        n = len(self.zeros)
        for r in list(range(row, n)) + list(range(row)):
            if self.row_cov[r]:
                continue
            cols = [c for c in self.zeros[r] if not self.col_cov[c]]
            if cols:
                before = [c for c in cols if c < col]
                return r, (before[-1] if before else cols[-1])
        return -1, -1

    def shift_by_min(self) -> None:
        """Step 6: add the smallest uncovered value to the covered rows,
        subtract it from the uncovered columns."""
        rc = np.array(self.row_cov)
        cc = np.array(self.col_cov)
        minval = self.C[~rc][:, ~cc].min()
        self.C[rc] += minval
        self.C[:, ~cc] -= minval
        self.zeros = _zeros_by_row(self.C)

    def prime_zeros(self) -> Tuple[int, int]:
        """Step 4 (and 6 until a prime without a star in its row is
        found); returns that prime."""
        row, col = 0, 0
        while True:
            found, c = self.find_uncovered_zero(row, col)
            if found < 0:
                self.shift_by_min()
                row, col = 0, 0
                continue
            self.prime_in_row[found] = c
            if self.star_in_row[found] < 0:
                return found, c
            row, col = found, self.star_in_row[found]
            self.row_cov[found] = True
            self.col_cov[col] = False

    def augment(self, prime: Tuple[int, int]) -> None:
        """Step 5: augment along the alternating path from ``prime``, then
        clear the covers and primes."""
        path = [prime]
        while self.star_in_col[path[-1][1]] >= 0:
            r = self.star_in_col[path[-1][1]]
            path.append((r, path[-1][1]))
            path.append((r, self.prime_in_row[r]))
        for r, c in path[1::2]:
            self.star_in_row[r] = self.star_in_col[c] = -1
        for r, c in path[0::2]:
            self.star_in_row[r] = c
            self.star_in_col[c] = r
        n = len(self.zeros)
        self.row_cov = [False] * n
        self.prime_in_row = [-1] * n


def munkres_assign(cost: np.ndarray) -> np.ndarray:
    """Minimum-cost assignment, identical to ``munkres.Munkres().compute``.

    Same steps and the same tie-breaking as munkres 1.1.4: padding to a
    square with 0, row reduction only, greedy starring in row-major order,
    the ``find_a_zero`` scan (rows in cyclic order from the last primed
    row; in the first row with an uncovered zero, the *last* one in the
    cyclic column order from the last star's column), step 6 adding the
    minimum to covered rows before subtracting it from uncovered columns,
    and step 4 restarting its scan at (0, 0) after step 6.

    Args:
        cost: (R, C) cost matrix (float64 arithmetic is used as in munkres
            on float inputs).

    Returns:
        (M, 2) int array of (row, col) pairs with row < R and col < C, in
        row-major order.
    """
    cost = np.asarray(cost, dtype=np.float64)
    R, Cc = cost.shape if cost.ndim == 2 else (0, 0)
    if R == 0 or Cc == 0:
        return np.zeros((0, 2), dtype=np.int64)
    n = max(R, Cc)
    C = np.zeros((n, n), dtype=np.float64)
    C[:R, :Cc] = cost
    # step 1: subtract the row minimum
    C -= C.min(axis=1, keepdims=True)
    state = _Munkres(C)
    state.star_greedily()
    while not state.cover_star_columns():
        state.augment(state.prime_zeros())
    star_in_row = state.star_in_row
    pairs = [(i, star_in_row[i]) for i in range(R) if star_in_row[i] < Cc]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)
