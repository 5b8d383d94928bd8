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
from typing import List

import numpy as np


def _zeros_by_row(C: np.ndarray) -> List[List[int]]:
    rows, cols = np.nonzero(C == 0)
    out: List[List[int]] = [[] for _ in range(C.shape[0])]
    for r, c in zip(rows.tolist(), cols.tolist()):
        out[r].append(c)
    return out


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
    zeros = _zeros_by_row(C)
    star_in_row = [-1] * n
    star_in_col = [-1] * n
    prime_in_row = [-1] * n
    # step 2: star zeros greedily in row-major order
    for i in range(n):
        for j in zeros[i]:
            if star_in_col[j] < 0:
                star_in_row[i] = j
                star_in_col[j] = i
                break
    row_cov = [False] * n
    while True:
        # step 3: cover the columns of the stars
        col_cov = [s >= 0 for s in star_in_col]
        if sum(col_cov) >= n:
            break
        # step 4 (and 6 until a prime without a star in its row is found)
        row, col = 0, 0
        while True:
            found = -1
            for r in list(range(row, n)) + list(range(row)):
                if row_cov[r]:
                    continue
                cols = [c for c in zeros[r] if not col_cov[c]]
                if cols:
                    before = [c for c in cols if c < col]
                    found, c = r, (before[-1] if before else cols[-1])
                    break
            if found < 0:
                # step 6: add the smallest uncovered value to the covered
                # rows, subtract it from the uncovered columns
                rc = np.array(row_cov)
                cc = np.array(col_cov)
                minval = C[~rc][:, ~cc].min()
                C[rc] += minval
                C[:, ~cc] -= minval
                zeros = _zeros_by_row(C)
                row, col = 0, 0
                continue
            prime_in_row[found] = c
            if star_in_row[found] >= 0:
                row, col = found, star_in_row[found]
                row_cov[found] = True
                col_cov[col] = False
                continue
            break
        # step 5: augment along the alternating path from the prime
        path = [(found, c)]
        while star_in_col[path[-1][1]] >= 0:
            r = star_in_col[path[-1][1]]
            path.append((r, path[-1][1]))
            path.append((r, prime_in_row[r]))
        for r, c in path[1::2]:
            star_in_row[r] = star_in_col[c] = -1
        for r, c in path[0::2]:
            star_in_row[r] = c
            star_in_col[c] = r
        row_cov = [False] * n
        prime_in_row = [-1] * n
    pairs = [(i, star_in_row[i]) for i in range(R) if star_in_row[i] < Cc]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)
