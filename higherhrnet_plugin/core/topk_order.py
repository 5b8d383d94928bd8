# Copyright (c) OpenMMLab. All rights reserved.
"""The order in which ``torch.topk`` on the CPU returns tied values, in numpy.

The original ``HeatmapParser.top_k`` takes ``topk`` of the NMS'd heatmaps.
Where values tie, the order of the returned entries is what decides which
candidate a person gets, so a faithful decoder needs that order, and the
torch-free runtime needs it without torch.

PyTorch's CPU kernel (``aten/src/ATen/native/TopKImpl.h``) copies a row into
``(value, index)`` pairs and calls libstdc++'s ``std::partial_sort`` when
``k * 64 <= n``, else ``std::nth_element`` and ``std::sort`` of the first
``k - 1``, all comparing values only (NaN first). This module replays those
libstdc++ algorithms step by step on Python lists, so ties come out in the
same order. The ``partial_sort`` path only visits the elements that can
enter its heap (those above the first ``k`` elements' minimum), which keeps
it cheap on a 512x800 map.
"""
from typing import List, Tuple

import numpy as np

_Pair = Tuple[float, int]


def _less(a: _Pair, b: _Pair) -> bool:
    """TopKImpl's comparator for ``largest=True``: NaN first, then larger."""
    x, y = a[0], b[0]
    return (x != x and y == y) or x > y


def _lg(n: int) -> int:
    return n.bit_length() - 1


def _adjust_heap(a: List[_Pair], first: int, hole: int, length: int,
                 value: _Pair) -> None:
    top = hole
    second = hole
    while second < (length - 1) // 2:
        second = 2 * (second + 1)
        if _less(a[first + second], a[first + second - 1]):
            second -= 1
        a[first + hole] = a[first + second]
        hole = second
    if (length & 1) == 0 and second == (length - 2) // 2:
        second = 2 * (second + 1)
        a[first + hole] = a[first + second - 1]
        hole = second - 1
    parent = (hole - 1) // 2
    while hole > top and _less(a[first + parent], value):
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def _make_heap(a: List[_Pair], first: int, last: int) -> None:
    length = last - first
    if length < 2:
        return
    parent = (length - 2) // 2
    while True:
        _adjust_heap(a, first, parent, length, a[first + parent])
        if parent == 0:
            return
        parent -= 1


def _pop_heap(a: List[_Pair], first: int, last: int, result: int) -> None:
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value)


def _heap_select(a: List[_Pair], first: int, middle: int, last: int) -> None:
    _make_heap(a, first, middle)
    for i in range(middle, last):
        if _less(a[i], a[first]):
            _pop_heap(a, first, middle, i)


def _sort_heap(a: List[_Pair], first: int, last: int) -> None:
    while last - first > 1:
        last -= 1
        _pop_heap(a, first, last, last)


def _swap(a: List[_Pair], i: int, j: int) -> None:
    a[i], a[j] = a[j], a[i]


def _move_median_to_first(a, result, x, y, z) -> None:
    if _less(a[x], a[y]):
        if _less(a[y], a[z]):
            _swap(a, result, y)
        elif _less(a[x], a[z]):
            _swap(a, result, z)
        else:
            _swap(a, result, x)
    elif _less(a[x], a[z]):
        _swap(a, result, x)
    elif _less(a[y], a[z]):
        _swap(a, result, z)
    else:
        _swap(a, result, y)


def _unguarded_partition(a, first: int, last: int, pivot: int) -> int:
    while True:
        while _less(a[first], a[pivot]):
            first += 1
        last -= 1
        while _less(a[pivot], a[last]):
            last -= 1
        if not first < last:
            return first
        _swap(a, first, last)
        first += 1


def _unguarded_partition_pivot(a, first: int, last: int) -> int:
    mid = first + (last - first) // 2
    _move_median_to_first(a, first, first + 1, mid, last - 1)
    return _unguarded_partition(a, first + 1, last, first)


def _unguarded_linear_insert(a, last: int) -> None:
    val = a[last]
    nxt = last - 1
    while _less(val, a[nxt]):
        a[last] = a[nxt]
        last = nxt
        nxt -= 1
    a[last] = val


def _insertion_sort(a, first: int, last: int) -> None:
    if first == last:
        return
    for i in range(first + 1, last):
        if _less(a[i], a[first]):
            val = a[i]
            a[first + 1:i + 1] = a[first:i]
            a[first] = val
        else:
            _unguarded_linear_insert(a, i)


def _introselect(a, first: int, nth: int, last: int, depth: int) -> None:
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last)
            _swap(a, first, nth)
            return
        depth -= 1
        cut = _unguarded_partition_pivot(a, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last)


def _introsort_loop(a, first: int, last: int, depth: int) -> None:
    while last - first > 16:
        if depth == 0:
            _heap_select(a, first, last, last)
            _sort_heap(a, first, last)
            return
        depth -= 1
        cut = _unguarded_partition_pivot(a, first, last)
        _introsort_loop(a, cut, last, depth)
        last = cut


def _std_sort(a, first: int, last: int) -> None:
    if first == last:
        return
    _introsort_loop(a, first, last, _lg(last - first) * 2)
    if last - first > 16:
        _insertion_sort(a, first, first + 16)
        for i in range(first + 16, last):
            _unguarded_linear_insert(a, i)
    else:
        _insertion_sort(a, first, last)


def torch_cpu_topk(values: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """``torch.topk(values, k)`` (largest, sorted) of a 1-D float row, with
    the CPU kernel's order of tied values.

    Args:
        values: (n,) float array (float32 values compare as in torch).
        k: how many; clipped to ``n``.

    Returns:
        values (k,) of ``values``' dtype and indices (k,) int64.
    """
    values = np.asarray(values).reshape(-1)
    n = values.shape[0]
    k = min(int(k), n)
    if k <= 0:
        return values[:0].copy(), np.zeros(0, np.int64)
    if k * 64 <= n:
        # std::partial_sort = heap_select + sort_heap. Only elements that
        # compare above the heap's top can enter it, and the top only rises,
        # so the rest of the row cannot change anything.
        a = list(zip(values[:k].tolist(), range(k)))
        _make_heap(a, 0, k)
        top = a[0][0]
        rest = values[k:]
        if top == top:
            cand = np.flatnonzero((rest > top) | np.isnan(rest)) + k
        else:
            cand = np.zeros(0, np.int64)
        for i, v in zip(cand.tolist(), values[cand].tolist()):
            if _less((v, i), a[0]):
                # __pop_heap(first, middle, i): the old top leaves the heap
                _adjust_heap(a, 0, 0, k, (v, i))
        _sort_heap(a, 0, k)
    else:
        a = list(zip(values.tolist(), range(n)))
        _introselect(a, 0, k - 1, n, _lg(n) * 2)
        _std_sort(a, 0, k - 1)
        a = a[:k]
    idx = np.array([i for _, i in a], dtype=np.int64)
    return values[idx], idx

