"""A COCO-format keypoint file cut down to some of its keypoints.

:func:`select_keypoints` keeps K of a file's keypoints (in the order given):
each annotation's ``keypoints`` and ``num_keypoints``, and the category's
``keypoints`` names and ``skeleton`` (limbs between kept joints). It turns a
COCO-format set (e.g. the synthetic one of
:func:`~higherhrnet_plugin.synthetic_coco.make_synthetic_coco`)
into a K-keypoint set to try a custom keypoint definition on
(``docs/custom_keypoints.md``). Standard library only.
"""
import json
from typing import Dict, List, Sequence


def select_keypoints(coco: Dict, keep: Sequence[int]) -> Dict:
    """A copy of the COCO-format dict ``coco`` with the keypoints ``keep``.

    Args:
        coco (dict): ``images``, ``annotations`` (``keypoints`` as
            ``[x, y, v] * K0``) and one or more ``categories`` with
            ``keypoints`` (K0 names).
        keep (Sequence[int]): indices into the K0 keypoints; the new
            keypoint k is the old ``keep[k]``.

    Returns:
        dict: the same file with K = ``len(keep)`` keypoints.

    Raises:
        ValueError: naming the index or annotation at fault.
    """
    keep = [int(k) for k in keep]
    if not keep:
        raise ValueError('keep: no keypoints selected')
    if len(set(keep)) != len(keep):
        raise ValueError(f'keep: repeated keypoint indices in {keep}')
    out = dict(coco)
    out['categories'] = []
    for cat in coco['categories']:
        names = cat.get('keypoints', [])
        bad = [k for k in keep if not 0 <= k < len(names)]
        if bad:
            raise ValueError(f'keep: {bad} outside the {len(names)} keypoints '
                             f'of category {cat.get("id")}')
        new_id = {old: new for new, old in enumerate(keep)}
        # COCO skeletons count keypoints from 1
        skeleton = [[new_id[a - 1] + 1, new_id[b - 1] + 1]
                    for a, b in cat.get('skeleton', [])
                    if a - 1 in new_id and b - 1 in new_id]
        out['categories'].append(
            dict(cat, keypoints=[names[k] for k in keep], skeleton=skeleton))
    out['annotations'] = [_select(ann, keep) for ann in coco['annotations']]
    return out


def _select(ann: Dict, keep: List[int]) -> Dict:
    kpts = ann.get('keypoints')
    if not kpts:
        return dict(ann)
    if len(kpts) % 3 or max(keep) >= len(kpts) // 3:
        raise ValueError(f'annotation {ann.get("id")}: {len(kpts)} keypoint '
                         f'values, not 3 per keypoint for index {max(keep)}')
    new = [v for k in keep for v in kpts[3 * k:3 * k + 3]]
    return dict(ann, keypoints=new,
                num_keypoints=sum(1 for v in new[2::3] if v > 0))


def write_keypoint_subset(in_file: str, out_file: str,
                          keep: Sequence[int]) -> Dict:
    """:func:`select_keypoints` from one annotation file into another.

    Returns the written dict."""
    with open(in_file) as f:
        coco = json.load(f)
    out = select_keypoints(coco, keep)
    with open(out_file, 'w') as f:
        json.dump(out, f)
    return out
