"""Seeded generator of a small synthetic COCO-format person keypoint dataset.

People are articulated 17-joint figures on the COCO skeleton, drawn like
jointed mannequins (filled limbs with round elbows and knees, hands and
shoes, a torso polygon, a head with ears, eyes and nose; each part in its own
colour) over textured backgrounds.  A :class:`Scene` says what an image
holds: its size, how many people and how tall (drawn uniformly), how much
they may overlap, how much clutter and how many occluding objects, and how
often a *crowd* region (a cluster of tiny figures, annotated with
``iscrowd=1`` and an uncompressed RLE mask) appears.  :data:`SCENES` names
two: ``'hard'`` (1-6 people 24-300 px tall in 320x320, free overlap, heavy
clutter, crowds) and ``'easy'``, the default (fewer, better separated
people on a plainer background; see :data:`SCENES`).  People may be cut by
the image border.  As in
COCO, people smaller than 32x32 px of visible area keep their box and mask
but get no keypoint labels (``num_keypoints=0``), so training masks them out
and ``COCOeval`` ignores them.

Keypoint visibility follows COCO: ``v=2`` labelled and visible, ``v=1``
labelled but occluded (by another person, an occluding object, self
occlusion or a turned head), ``v=0`` not labelled (outside the image, with
coordinates 0).  ``bbox``, ``segmentation`` (polygons) and ``area`` are
computed from the visible pixels of the drawn figure.

Output layout (loadable by MMPose's ``CocoDataset`` with
``data_root=out_dir``)::

    out_dir/images/train/000001.jpg ...
    out_dir/images/val/000401.jpg ...
    out_dir/annotations/person_keypoints_train.json
    out_dir/annotations/person_keypoints_val.json
    out_dir/annotations/synthetic_coco.json   (the generation arguments)

The same arguments always give byte-identical files.
"""
import json
import math
import os
import os.path as osp
from dataclasses import asdict, dataclass, replace
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

KEYPOINT_NAMES = [
    'nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow',
    'left_wrist', 'right_wrist', 'left_hip', 'right_hip', 'left_knee',
    'right_knee', 'left_ankle', 'right_ankle'
]
# 1-based, exactly as in COCO's person_keypoints_*.json
SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12],
            [7, 13], [6, 7], [6, 8], [7, 9], [8, 10], [9, 11], [2, 3],
            [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]
_PERSON_CATEGORY = {
    'supercategory': 'person',
    'id': 1,
    'name': 'person',
    'keypoints': KEYPOINT_NAMES,
    'skeleton': SKELETON,
}

# body parts (used for drawing order, label map and joint ownership)
(_HEAD, _TORSO, _L_UARM, _L_FARM, _R_UARM, _R_FARM, _L_THIGH, _L_SHIN,
 _R_THIGH, _R_SHIN) = range(10)
# which parts a joint belongs to (joint is visible if one of them is on top)
_JOINT_PARTS = [
    (_HEAD, ), (_HEAD, ), (_HEAD, ), (_HEAD, ), (_HEAD, ),
    (_TORSO, _L_UARM), (_TORSO, _R_UARM), (_L_UARM, _L_FARM),
    (_R_UARM, _R_FARM),
    (_L_FARM, ), (_R_FARM, ), (_TORSO, _L_THIGH), (_TORSO, _R_THIGH),
    (_L_THIGH, _L_SHIN), (_R_THIGH, _R_SHIN), (_L_SHIN, ), (_R_SHIN, )
]
_CROWD_LABEL = 1  # label-map person id of crowd figures; people start at 2
_JPEG_QUALITY = 90
# the split sizes of ``make demo`` (tools/demo.py)
DEFAULT_NUM_TRAIN = 400
DEFAULT_NUM_VAL = 50
# crowd regions are at least a tenth of the image high and hold figures up
# to 20 px high: smaller images cannot place them
_MIN_IMAGE_SIZE = 96
_SHIFT = 4  # sub-pixel bits for cv2 drawing
_SCALE = 1 << _SHIFT
# the generation record next to the annotations (see ensure_synthetic_coco)
RECORD_FILE = 'synthetic_coco.json'


@dataclass(frozen=True)
class Scene:
    """What a synthetic image holds (ranges are inclusive).

    Args:
        image_size: (width, height) in px.
        people: (min, max) people per image.
        heights: (min, max) person height in px, drawn uniformly.
        max_overlap: the largest share of a person's keypoint box that
            another person's box may cover; a person that cannot be placed
            within it in ``_PLACEMENT_TRIES`` draws is left out. 1: people
            overlap freely.
        clutter: (min, max) shapes drawn on the background.
        occluders: (min, max) objects drawn in front of the people.
        crowd_prob: probability that an image holds a crowd region.
        crowd_every: every ``crowd_every``-th image (the 2nd, then every
            ``crowd_every``-th after it) holds one regardless, so small sets
            have some; 0: only ``crowd_prob`` decides.
        min_keypoint_area: people whose visible area (px) is below this get
            no keypoint labels, as COCO's small people (COCO's small/medium
            boundary, 32**2).
    """
    image_size: Tuple[int, int] = (320, 320)
    people: Tuple[int, int] = (1, 6)
    heights: Tuple[float, float] = (24., 300.)
    max_overlap: float = 1.
    clutter: Tuple[int, int] = (6, 19)
    occluders: Tuple[int, int] = (0, 2)
    crowd_prob: float = 0.3
    crowd_every: int = 4
    min_keypoint_area: float = 32.**2

    def check(self) -> None:
        """Raise ``ValueError`` naming the first field out of range."""
        w, h = self.image_size
        if min(w, h) < _MIN_IMAGE_SIZE:
            raise ValueError(f'image_size must be at least {_MIN_IMAGE_SIZE} '
                             f'px on each side, got {w}x{h}')
        for name in ('people', 'heights', 'clutter', 'occluders'):
            lo, hi = getattr(self, name)
            if not 0 <= lo <= hi:
                raise ValueError(f'{name} must be a range 0 <= min <= max, '
                                 f'got ({lo}, {hi})')
        if self.people[1] < 1 or self.heights[0] <= 0:
            raise ValueError(f'a scene needs people of positive height, got '
                             f'people={self.people} heights={self.heights}')
        if self.crowd_every == 1 or self.crowd_every < 0:
            raise ValueError(f'crowd_every must be 0 or at least 2, got '
                             f'{self.crowd_every}')
        if not 0 < self.max_overlap <= 1:
            raise ValueError(f'max_overlap must be in (0, 1], got '
                             f'{self.max_overlap}')


_PLACEMENT_TRIES = 20
SCENES: Dict[str, Scene] = {
    # the set of the first demo runs and of their published figures
    'hard': Scene(),
    # for the demo's 1.2 M-parameter model and its minutes of CPU training:
    # at most three people who barely overlap (so that their tags can
    # separate), on a plainer background, no crowds; heights from 60 px
    # (about 50 px at the demo's 256 input, 12 px at 1/4 resolution, where
    # the 1/2 level matters) to 280 px (a median pose is COCO 'large', area
    # above 96**2, from about 206 px)
    'easy': Scene(people=(1, 3), heights=(60., 280.), max_overlap=0.1,
                  clutter=(0, 5), occluders=(0, 1), crowd_prob=0.,
                  crowd_every=0),
}
DEFAULT_SCENE = 'easy'


def _rand_color(rng: np.random.Generator, lo: int = 0,
                hi: int = 256) -> Tuple[int, int, int]:
    c = rng.integers(lo, hi, size=3)
    return int(c[0]), int(c[1]), int(c[2])


# --------------------------------------------------------------------------
# background
# --------------------------------------------------------------------------
def _make_background(rng: np.random.Generator, w: int, h: int,
                     clutter: Tuple[int, int]) -> np.ndarray:
    # linear gradient between two colours in a random direction
    c0 = rng.uniform(0, 255, size=3)
    c1 = rng.uniform(0, 255, size=3)
    ang = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    t = (xx * math.cos(ang) + yy * math.sin(ang))
    t = (t - t.min()) / max(float(t.max() - t.min()), 1.0)
    img = (c0[None, None, :] * (1 - t[..., None]) +
           c1[None, None, :] * t[..., None])
    # low-frequency blotchy texture
    gh, gw = max(2, h // 32), max(2, w // 32)
    blot = rng.normal(0, 25, size=(gh, gw, 3)).astype(np.float32)
    img += cv2.resize(blot, (w, h), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img, 0, 255).astype(np.uint8)

    # clutter: rectangles, circles, ellipses, lines, polygons
    n_shapes = int(rng.integers(clutter[0], clutter[1] + 1))
    for _ in range(n_shapes):
        kind = int(rng.integers(0, 5))
        color = _rand_color(rng)
        filled = rng.random() < 0.6
        thick = -1 if filled else int(rng.integers(1, 6))
        cx, cy = int(rng.integers(0, w)), int(rng.integers(0, h))
        size = int(rng.integers(5, max(6, min(w, h) // 3)))
        if kind == 0:
            x2 = cx + int(rng.integers(-size, size + 1))
            y2 = cy + int(rng.integers(-size, size + 1))
            cv2.rectangle(img, (cx, cy), (x2, y2), color, thick)
        elif kind == 1:
            cv2.circle(img, (cx, cy), size // 2 + 1, color, thick,
                       cv2.LINE_AA)
        elif kind == 2:
            axes = (size // 2 + 1, int(rng.integers(1, size // 2 + 2)))
            cv2.ellipse(img, (cx, cy), axes, float(rng.uniform(0, 180)), 0,
                        360, color, thick, cv2.LINE_AA)
        elif kind == 3:
            x2 = cx + int(rng.integers(-2 * size, 2 * size + 1))
            y2 = cy + int(rng.integers(-2 * size, 2 * size + 1))
            cv2.line(img, (cx, cy), (x2, y2), color,
                     int(rng.integers(1, 8)), cv2.LINE_AA)
        else:
            n = int(rng.integers(3, 7))
            pts = np.stack([
                cx + rng.integers(-size, size + 1, size=n),
                cy + rng.integers(-size, size + 1, size=n)
            ], axis=1).astype(np.int32)
            cv2.fillPoly(img, [pts], color, cv2.LINE_AA)
    # fine noise texture
    noise = rng.normal(0, 6, size=img.shape).astype(np.float32)
    img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    return img


# --------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------
def _unit(a: float) -> np.ndarray:
    return np.array([math.cos(a), math.sin(a)])


def _sample_view(rng: np.random.Generator) -> Dict:
    """The body's lean (``up``, ``right``, ``down`` image directions) and
    the view: yaw, its width factor ``wfac``, and ``f`` (+1 facing the
    camera, -1 seen from the back)."""
    # body orientation: mostly upright with a small lean, rarely lying
    if rng.random() < 0.05:
        lean = rng.uniform(-math.pi / 2, math.pi / 2)
    else:
        lean = float(np.clip(rng.normal(0, math.radians(8)), -0.4, 0.4))
    up = np.array([math.sin(lean), -math.cos(lean)])  # image coords, y down
    # view: yaw (front .. side), 15% seen from the back
    yaw = rng.uniform(-math.radians(85), math.radians(85))
    return dict(
        up=up,
        right=np.array([math.cos(lean), math.sin(lean)]),
        down=-up,
        yaw=yaw,
        wfac=max(math.cos(yaw), 0.15),
        f=-1.0 if rng.random() < 0.15 else 1.0)


def _sample_proportions(rng: np.random.Generator) -> Dict[str, float]:
    """Limb proportions (fractions of the height) with per-person
    jitter."""
    base = dict(torso=0.30, neck=0.04, r_head=0.065, half_sh=0.115,
                half_hip=0.085, uarm=0.17, farm=0.15, thigh=0.245,
                shin=0.24)
    return {name: v * rng.uniform(0.9, 1.1) for name, v in base.items()}


def _head_keypoints(kp: np.ndarray, head_c: np.ndarray, view: Dict,
                    rh: float) -> None:
    """Nose, eyes and ears (``kp[0:5]``) of a head of radius ``rh``, the
    face turned by the view's yaw."""
    right, up, f, wfac = view['right'], view['up'], view['f'], view['wfac']
    s_yaw = math.sin(view['yaw'])
    kp[0] = head_c + right * s_yaw * 0.7 * rh - up * 0.15 * rh
    eye_c = head_c + right * s_yaw * 0.55 * rh + up * 0.2 * rh
    kp[1] = eye_c + right * f * wfac * 0.35 * rh
    kp[2] = eye_c - right * f * wfac * 0.35 * rh
    ear_c = head_c - right * s_yaw * 0.25 * rh + up * 0.05 * rh
    kp[3] = ear_c + right * f * wfac * 0.95 * rh
    kp[4] = ear_c - right * f * wfac * 0.95 * rh


def _sample_limbs(rng: np.random.Generator, kp: np.ndarray, view: Dict,
                  prop: Dict[str, float], H: float) -> None:
    """Elbows, wrists, knees and ankles (from the shoulders and hips in
    ``kp``), each limb bent at random."""
    down, right = view['down'], view['right']

    def limb(start, side_sign, a1, a2, l1, l2):
        # a1: angle of the upper segment away from "down", outwards
        d1 = down * math.cos(a1) + right * side_sign * math.sin(a1)
        p1 = start + d1 * l1 * H
        perp = np.array([-d1[1], d1[0]])
        d2 = d1 * math.cos(a2) + perp * math.sin(a2)
        p2 = p1 + d2 * l2 * H
        return p1, p2

    for side, (sh, el, wr, hp, kn, an) in (
            (1.0, (5, 7, 9, 11, 13, 15)), (-1.0, (6, 8, 10, 12, 14, 16))):
        sgn = side * view['f']  # image-x direction of this body side
        a_up = math.radians(rng.uniform(-40, 165))
        a_fore = math.radians(rng.uniform(-10, 150)) * rng.choice([-1, 1])
        kp[el], kp[wr] = limb(kp[sh], sgn, a_up, a_fore, prop['uarm'],
                              prop['farm'])
        if rng.random() < 0.1:  # kick / sitting
            a_th = math.radians(rng.uniform(40, 100))
        else:
            a_th = math.radians(rng.uniform(-20, 40))
        a_kn = math.radians(rng.uniform(0, 110)) * rng.choice([-1, 1])
        kp[kn], kp[an] = limb(kp[hp], sgn, a_th, a_kn, prop['thigh'],
                              prop['shin'])


def _sample_pose(rng: np.random.Generator, root: np.ndarray,
                 height: float) -> Dict:
    """Sample an articulated figure.

    Returns a dict with ``kpts`` (17x2, image coords), ``far_side``
    ('left' / 'right'), ``back_view`` and drawing sizes.
    """
    H = height
    view = _sample_view(rng)
    prop = _sample_proportions(rng)
    up, f = view['up'], view['f']

    hip_c = root
    neck_p = hip_c + up * prop['torso'] * H
    head_c = neck_p + up * (prop['neck'] + prop['r_head']) * H
    kp = np.zeros((17, 2))
    # person's left side lies towards image-right when facing the camera
    l_dir = view['right'] * f * view['wfac']
    kp[5] = neck_p + l_dir * prop['half_sh'] * H
    kp[6] = neck_p - l_dir * prop['half_sh'] * H
    kp[11] = hip_c + l_dir * prop['half_hip'] * H
    kp[12] = hip_c - l_dir * prop['half_hip'] * H
    rh = prop['r_head'] * H
    _head_keypoints(kp, head_c, view, rh)
    _sample_limbs(rng, kp, view, prop, H)

    # the side turned away from the camera is drawn first (further away)
    far_side = 'left' if math.sin(view['yaw']) * f > 0 else 'right'
    return dict(
        kpts=kp,
        neck=neck_p,
        head_c=head_c,
        r_head=rh,
        yaw=view['yaw'],
        back_view=f < 0,
        far_side=far_side,
        height=H)


def _person_colors(rng: np.random.Generator) -> Dict:
    skin = _rand_color(rng, 40, 255)
    shirt = _rand_color(rng)
    pants = _rand_color(rng)

    def vary(c, amt=50):
        d = rng.integers(-amt, amt + 1, size=3)
        return tuple(int(np.clip(c[i] + d[i], 0, 255)) for i in range(3))

    sleeve = vary(shirt)
    fore = vary(skin, 30) if rng.random() < 0.5 else vary(sleeve, 40)
    shin = vary(pants, 60)
    shoe = _rand_color(rng, 0, 90)
    return {
        'skin': skin,
        'shoe': shoe,
        _HEAD: skin,
        _TORSO: shirt,
        _L_UARM: sleeve,
        _R_UARM: sleeve,
        _L_FARM: fore,
        _R_FARM: fore,
        _L_THIGH: pants,
        _R_THIGH: pants,
        _L_SHIN: shin,
        _R_SHIN: shin,
    }


def _fp(p: np.ndarray) -> Tuple[int, int]:
    """Fixed-point (shifted) integer point for cv2."""
    return (int(round(float(p[0]) * _SCALE)), int(round(float(p[1]) * _SCALE)))


def _shade(color: Tuple[int, int, int]) -> Tuple[int, int, int]:
    return tuple(int(0.6 * v) for v in color)


class _FigurePainter:
    """Draws one figure's parts into the image (anti-aliased, in their
    colours) and into the label map (``pid * 16 + part``)."""

    def __init__(self, img: np.ndarray, label: np.ndarray, pose: Dict,
                 colors: Dict, pid: int):
        self.img, self.label = img, label
        self.pose, self.colors, self.pid = pose, colors, pid
        self.kp = pose['kpts']
        self.H = pose['height']

    def lab(self, part: int) -> int:
        return int(self.pid * 16 + part)

    def seg(self, part, a, b, thick_frac):
        kp = self.kp
        t = max(1, int(round(thick_frac * self.H)))
        cv2.line(self.img, _fp(kp[a]), _fp(kp[b]), self.colors[part], t,
                 cv2.LINE_AA, _SHIFT)
        cv2.line(self.label, _fp(kp[a]), _fp(kp[b]), self.lab(part), t,
                 cv2.LINE_8, _SHIFT)

    def cap(self, part, k, r_frac, color):
        # round joints, hands and shoes, as on a jointed mannequin
        r = max(1, int(round(r_frac * self.H * _SCALE)))
        cv2.circle(self.img, _fp(self.kp[k]), r, color, -1, cv2.LINE_AA,
                   _SHIFT)
        cv2.circle(self.label, _fp(self.kp[k]), r, self.lab(part), -1,
                   cv2.LINE_8, _SHIFT)

    def limb(self, upper, lower, joints, widths, caps, end_color):
        # two segments through (root, middle, end) joints, a round middle
        # joint in the upper part's shade and a hand or shoe at the end
        root, mid, end = joints
        self.seg(upper, root, mid, widths[0])
        self.seg(lower, mid, end, widths[1])
        self.cap(lower, mid, caps[0], _shade(self.colors[upper]))
        self.cap(lower, end, caps[1], end_color)

    def arm(self, left: bool):
        parts, joints = ((_L_UARM, _L_FARM), (5, 7, 9)) if left \
            else ((_R_UARM, _R_FARM), (6, 8, 10))
        self.limb(*parts, joints, (0.055, 0.045), (0.03, 0.035),
                  self.colors['skin'])

    def leg(self, left: bool):
        parts, joints = ((_L_THIGH, _L_SHIN), (11, 13, 15)) if left \
            else ((_R_THIGH, _R_SHIN), (12, 14, 16))
        self.limb(*parts, joints, (0.08, 0.06), (0.042, 0.04),
                  self.colors['shoe'])

    def torso(self):
        kp, pose = self.kp, self.pose
        pad = 0.03 * self.H
        c = kp[[5, 6, 12, 11]].mean(axis=0)
        poly = []
        for i in (5, 6, 12, 11):
            v = kp[i] - c
            n = np.linalg.norm(v)
            poly.append(kp[i] + (v / n * pad if n > 1e-6 else 0))
        pts = np.array([_fp(p) for p in poly], dtype=np.int32)
        cv2.fillPoly(self.img, [pts], self.colors[_TORSO], cv2.LINE_AA, _SHIFT)
        cv2.fillPoly(self.label, [pts], self.lab(_TORSO), cv2.LINE_8, _SHIFT)
        # neck
        t = max(1, int(round(0.05 * self.H)))
        cv2.line(self.img, _fp(pose['neck']), _fp(pose['head_c']),
                 self.colors[_HEAD], t, cv2.LINE_AA, _SHIFT)
        cv2.line(self.label, _fp(pose['neck']), _fp(pose['head_c']),
                 self.lab(_HEAD), t, cv2.LINE_8, _SHIFT)

    def head(self):
        kp, pose, img = self.kp, self.pose, self.img
        head_color = self.colors[_HEAD]
        r = max(1, int(round(pose['r_head'] * _SCALE)))
        ear_r = max(1, int(round(0.25 * pose['r_head'] * _SCALE)))
        for i in (3, 4):  # ears stick out behind the head circle
            cv2.circle(img, _fp(kp[i]), ear_r, _shade(head_color), -1,
                       cv2.LINE_AA, _SHIFT)
            cv2.circle(self.label, _fp(kp[i]), ear_r, self.lab(_HEAD), -1,
                       cv2.LINE_8, _SHIFT)
        cv2.circle(img, _fp(pose['head_c']), r, head_color, -1, cv2.LINE_AA,
                   _SHIFT)
        cv2.circle(self.label, _fp(pose['head_c']), r, self.lab(_HEAD), -1,
                   cv2.LINE_8, _SHIFT)
        if self.H >= 40 and not pose['back_view']:  # dark dots for eyes
            er = max(1, int(round(0.12 * pose['r_head'] * _SCALE)))
            for i in (1, 2):
                cv2.circle(img, _fp(kp[i]), er, (20, 20, 20), -1,
                           cv2.LINE_AA, _SHIFT)
            nr = max(1, int(round(0.15 * pose['r_head'] * _SCALE)))
            cv2.circle(img, _fp(kp[0]), nr, _shade(head_color), -1,
                       cv2.LINE_AA, _SHIFT)


def _draw_figure(img: np.ndarray, label: np.ndarray, pose: Dict,
                 colors: Dict, pid: int) -> None:
    """Draw a figure back to front: the far arm and leg, the near leg, the
    torso, the head, the near arm."""
    painter = _FigurePainter(img, label, pose, colors, pid)
    far_left = pose['far_side'] == 'left'
    painter.arm(far_left)
    painter.leg(far_left)
    painter.leg(not far_left)
    painter.torso()
    painter.head()
    painter.arm(not far_left)


# --------------------------------------------------------------------------
# annotation helpers
# --------------------------------------------------------------------------
def _rle_uncompressed(mask: np.ndarray) -> Dict:
    """COCO uncompressed RLE (column-major, starting with zeros)."""
    h, w = mask.shape
    flat = mask.astype(np.uint8).flatten(order='F')
    change = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    counts = np.diff(bounds).tolist()
    if flat.size and flat[0] == 1:
        counts = [0] + counts
    return {'counts': [int(c) for c in counts], 'size': [int(h), int(w)]}


def _mask_bbox(mask: np.ndarray) -> List[float]:
    ys, xs = np.nonzero(mask)
    x0, x1, y0, y1 = xs.min(), xs.max(), ys.min(), ys.max()
    return [float(x0), float(y0), float(x1 - x0 + 1), float(y1 - y0 + 1)]


def _mask_polygons(mask: np.ndarray) -> List[List[float]]:
    contours, _ = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polys = []
    for c in contours:
        if len(c) >= 3:
            polys.append([float(v) for v in c.reshape(-1)])
    if not polys:  # degenerate (lines / dots): use the bbox outline
        x, y, w, h = _mask_bbox(mask)
        polys = [[x, y, x + w, y, x + w, y + h, x, y + h]]
    return polys


def _joint_visible(label: np.ndarray, pt: np.ndarray, pid: int,
                   parts: Sequence[int]) -> bool:
    h, w = label.shape
    x, y = int(round(float(pt[0]))), int(round(float(pt[1])))
    x0, x1 = max(0, x - 1), min(w, x + 2)
    y0, y1 = max(0, y - 1), min(h, y + 2)
    patch = label[y0:y1, x0:x1]
    if patch.size == 0:
        return False
    ok = (patch // 16 == pid) & np.isin(patch % 16, parts)
    return bool(ok.any())


def _round(v: float) -> float:
    return float(round(float(v), 2))


# --------------------------------------------------------------------------
# image
# --------------------------------------------------------------------------
def _box_overlap(a: np.ndarray, b: np.ndarray) -> float:
    """The share of the smaller of two (x0, y0, x1, y1) boxes that they
    have in common."""
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0 or ih <= 0:
        return 0.
    area = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return float(iw * ih / area)


def _place_people(rng: np.random.Generator, w: int, h: int,
                  scene: Scene) -> List[Dict]:
    """The poses of one image's people, each within ``scene.max_overlap``
    of the others (free overlap draws each person once)."""
    n_people = int(rng.integers(scene.people[0], scene.people[1] + 1))
    poses, boxes = [], []
    for _ in range(n_people):
        for _ in range(_PLACEMENT_TRIES if scene.max_overlap < 1 else 1):
            height = rng.uniform(*scene.heights)
            # root = hip centre; keep the figure roughly on the image with
            # occasional truncation by the border
            root = np.array([
                rng.uniform(-0.05 * w, 1.05 * w),
                rng.uniform(0.3 * height - 0.05 * h,
                            max(0.3 * height, h - 0.3 * height) + 0.05 * h)
            ])
            pose = _sample_pose(rng, root, height)
            # the keypoints' box padded by the limbs' width
            pad = 0.05 * height
            box = np.concatenate([pose['kpts'].min(0) - pad,
                                  pose['kpts'].max(0) + pad])
            if all(_box_overlap(box, b) <= scene.max_overlap for b in boxes):
                poses.append(pose)
                boxes.append(box)
                break
    return poses


def _draw_crowd(rng: np.random.Generator, img: np.ndarray,
                label: np.ndarray, w: int, h: int) -> None:
    """A crowd region: a cluster of tiny figures, drawn behind the
    people."""
    cw = rng.uniform(0.2, 0.45) * w
    ch = rng.uniform(0.1, 0.22) * h
    cx0 = rng.uniform(0, w - cw)
    cy0 = rng.uniform(0, h - ch)
    n_small = int(rng.integers(8, 20))
    for _ in range(n_small):
        hh = rng.uniform(10, 20)
        root = np.array([
            rng.uniform(cx0, cx0 + cw),
            rng.uniform(cy0 + 0.45 * hh, cy0 + ch)
        ])
        pose = _sample_pose(rng, root, hh)
        _draw_figure(img, label, pose, _person_colors(rng), _CROWD_LABEL)


def _draw_occluders(rng: np.random.Generator, img: np.ndarray,
                    label: np.ndarray, w: int, h: int,
                    occluders: Tuple[int, int]) -> None:
    """Rectangles and ellipses in front of the people (label 0)."""
    for _ in range(int(rng.integers(occluders[0], occluders[1] + 1))):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        sw, sh = rng.uniform(8, 0.25 * w), rng.uniform(8, 0.25 * h)
        color = _rand_color(rng)
        if rng.random() < 0.5:
            p1 = (int(cx - sw / 2), int(cy - sh / 2))
            p2 = (int(cx + sw / 2), int(cy + sh / 2))
            cv2.rectangle(img, p1, p2, color, -1)
            cv2.rectangle(label, p1, p2, 0, -1)
        else:
            ax = (int(sw / 2) + 1, int(sh / 2) + 1)
            ang = float(rng.uniform(0, 180))
            cv2.ellipse(img, (int(cx), int(cy)), ax, ang, 0, 360, color, -1,
                        cv2.LINE_AA)
            cv2.ellipse(label, (int(cx), int(cy)), ax, ang, 0, 360, 0, -1)


def _crowd_annotation(label: np.ndarray) -> Optional[Dict]:
    """The ``iscrowd=1`` annotation of the crowd region (its figures and
    the small gaps closed between them), or None where nothing of it
    shows."""
    cmask = (label // 16) == _CROWD_LABEL
    if not cmask.any():
        return None
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
    closed = cv2.morphologyEx(cmask.astype(np.uint8), cv2.MORPH_CLOSE, k)
    # keep only pixels not covered by a person/occluder afterwards
    closed = closed.astype(bool) & ((label // 16 == _CROWD_LABEL) |
                                    (label == 0))
    if closed.sum() == 0:
        return None
    return dict(
        iscrowd=1,
        keypoints=[0] * 51,
        num_keypoints=0,
        bbox=_mask_bbox(closed),
        area=float(closed.sum()),
        segmentation=_rle_uncompressed(closed))


def _keypoint_visibility(label: np.ndarray, pose: Dict, pid: int,
                         k: int) -> int:
    """COCO's ``v`` of a labelled joint ``k``: 2 where its own part is on
    top, 1 where occluded (by anything, a turned face or the head)."""
    v = 2 if _joint_visible(label, pose['kpts'][k], pid,
                            _JOINT_PARTS[k]) else 1
    if pose['back_view'] and k in (0, 1, 2):
        v = 1  # face turned away
    if abs(pose['yaw']) > math.radians(50) and k in (1, 2, 3, 4):
        # the far eye / ear is hidden behind the head
        far = 'left' if k in (1, 3) else 'right'
        if far == pose['far_side']:
            v = 1
    return v


def _person_annotation(label: np.ndarray, pose: Dict, pid: int,
                       scene: Scene) -> Optional[Dict]:
    """The annotation of person ``pid``, or None where it is (almost)
    fully hidden."""
    h, w = label.shape
    pmask = (label // 16) == pid
    if int(pmask.sum()) < 20:
        return None
    kps = []
    n_vis = 0
    # as in COCO, small people keep their box and mask but get no
    # keypoint labels (num_keypoints=0): training masks them out and
    # COCOeval ignores them
    labelled = pmask.sum() >= scene.min_keypoint_area
    for k in range(17):
        x, y = pose['kpts'][k]
        if not (labelled and 0 <= x < w and 0 <= y < h):
            kps += [0, 0, 0]
            continue
        kps += [_round(x), _round(y),
                _keypoint_visibility(label, pose, pid, k)]
        n_vis += 1
    return dict(
        iscrowd=0,
        keypoints=kps,
        num_keypoints=n_vis,
        bbox=_mask_bbox(pmask),
        area=float(pmask.sum()),
        segmentation=_mask_polygons(pmask))


def _make_image(rng: np.random.Generator, scene: Scene, w: int, h: int,
                with_crowd: bool) -> Tuple[np.ndarray, List[Dict]]:
    """One image (H, W, 3) BGR and its annotations (without ids)."""
    img = _make_background(rng, w, h, scene.clutter)
    label = np.zeros((h, w), dtype=np.int32)
    if with_crowd:
        _draw_crowd(rng, img, label, w, h)
    poses = _place_people(rng, w, h, scene)
    pids = list(range(2, 2 + len(poses)))
    for pid, pose in zip(pids, poses):
        _draw_figure(img, label, pose, _person_colors(rng), pid)
    _draw_occluders(rng, img, label, w, h, scene.occluders)

    # mild sensor noise / blur
    img = cv2.GaussianBlur(img, (3, 3), 0.6)
    noise = rng.normal(0, 3, size=img.shape).astype(np.float32)
    img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)

    anns = [_crowd_annotation(label)] if with_crowd else []
    anns += [
        _person_annotation(label, pose, pid, scene)
        for pid, pose in zip(pids, poses)
    ]
    return img, [ann for ann in anns if ann is not None]


def _get_scene(scene: Union[str, Scene]) -> Scene:
    """``scene`` itself, or the :data:`SCENES` entry it names; checked."""
    if isinstance(scene, str):
        if scene not in SCENES:
            raise ValueError(f'scene must be one of {sorted(SCENES)}, got '
                             f'{scene!r}')
        scene = SCENES[scene]
    scene.check()
    return scene


def _generation_record(num_train: int = DEFAULT_NUM_TRAIN,
                      num_val: int = DEFAULT_NUM_VAL,
                      seed: int = 0,
                      scene: Union[str, Scene] = DEFAULT_SCENE,
                      image_size: Optional[Tuple[int, int]] = None,
                      jpeg_quality: int = _JPEG_QUALITY) -> Dict:
    """What :func:`make_synthetic_coco` with these arguments writes to
    ``annotations/synthetic_coco.json``: every argument that shapes the
    files, the scene spelt out field by field (JSON types)."""
    name = scene if isinstance(scene, str) else None
    scene = _get_scene(scene)
    if image_size is not None:
        scene = replace(scene, image_size=(int(image_size[0]),
                                           int(image_size[1])))
        scene.check()
    if min(num_train, num_val) < 0:
        raise ValueError(f'num_train and num_val must be >= 0, got '
                         f'{num_train} and {num_val}')
    if name is not None and scene != SCENES[name]:
        name = None  # a preset with another image size is no longer it
    # a JSON round trip, so that a record read back compares equal
    return json.loads(json.dumps(dict(
        scene_name=name, scene=asdict(scene), seed=int(seed),
        num_train=int(num_train), num_val=int(num_val),
        jpeg_quality=int(jpeg_quality))))


def make_synthetic_coco(out_dir: str,
                        num_train: int = DEFAULT_NUM_TRAIN,
                        num_val: int = DEFAULT_NUM_VAL,
                        seed: int = 0,
                        scene: Union[str, Scene] = DEFAULT_SCENE,
                        image_size: Optional[Tuple[int, int]] = None,
                        jpeg_quality: int = _JPEG_QUALITY) -> Dict[str, str]:
    """Generate the dataset under ``out_dir``.

    Args:
        out_dir: output root (``images/{train,val}`` and ``annotations``).
        num_train / num_val: number of images per split.
        seed: random seed; the same arguments give byte-identical files.
        scene: a :data:`SCENES` name or a :class:`Scene`. Defaults to
            ``DEFAULT_SCENE`` ('easy').
        image_size: (width, height), replacing the scene's.
        jpeg_quality: of the written images.

    Returns:
        dict mapping split name to its annotation file path.

    Raises:
        ValueError: an unknown scene, a scene field out of range, a negative
            split size or a side of ``image_size`` below ``_MIN_IMAGE_SIZE``,
            before anything is written.
    """
    record = _generation_record(num_train, num_val, seed, scene, image_size,
                               jpeg_quality)
    scene = Scene(**{k: tuple(v) if isinstance(v, list) else v
                     for k, v in record['scene'].items()})
    ann_dir = osp.join(out_dir, 'annotations')
    os.makedirs(ann_dir, exist_ok=True)
    outputs = {}
    first_img_id = 1
    for split_idx, (split, num) in enumerate((('train', num_train),
                                               ('val', num_val))):
        images, annotations = _write_split_images(
            osp.join(out_dir, 'images', split), split_idx, int(num),
            first_img_id, int(seed), scene, jpeg_quality)
        first_img_id += len(images)
        coco = dict(
            info=dict(
                description='Synthetic COCO-style person keypoints',
                version='1.0',
                year=2024,
                seed=int(seed)),
            licenses=[],
            images=images,
            annotations=annotations,
            categories=[_PERSON_CATEGORY])
        ann_file = osp.join(ann_dir, f'person_keypoints_{split}.json')
        with open(ann_file, 'w') as fh:
            json.dump(coco, fh, sort_keys=True, separators=(',', ':'))
            fh.write('\n')
        outputs[split] = ann_file
    # written last: a set without it is incomplete (or older than it)
    with open(osp.join(ann_dir, RECORD_FILE), 'w') as fh:
        json.dump(record, fh, indent=1, sort_keys=True)
        fh.write('\n')
    return outputs


def _write_split_images(img_dir: str, split_idx: int, num: int,
                        first_img_id: int, seed: int, scene: Scene,
                        jpeg_quality: int) -> Tuple[List[Dict], List[Dict]]:
    """Write a split's ``num`` images (ids from ``first_img_id``; image
    ``i`` seeded by ``(seed, split_idx, i)``) into ``img_dir``; return
    their COCO ``images`` and ``annotations``."""
    w, h = scene.image_size
    os.makedirs(img_dir, exist_ok=True)
    images, annotations = [], []
    for i in range(num):
        img_id = first_img_id + i
        rng = np.random.default_rng([seed, split_idx, i])
        with_crowd = (scene.crowd_every > 0
                      and i % scene.crowd_every == 1) or bool(
                          rng.random() < scene.crowd_prob)
        img, anns = _make_image(rng, scene, w, h, with_crowd)
        fname = f'{img_id:06d}.jpg'
        ok, buf = cv2.imencode(
            '.jpg', img, [int(cv2.IMWRITE_JPEG_QUALITY), jpeg_quality])
        assert ok
        with open(osp.join(img_dir, fname), 'wb') as fh:
            fh.write(buf.tobytes())
        images.append(dict(id=img_id, file_name=fname, width=w, height=h))
        for ann in anns:
            ann.update(
                id=len(annotations) + 1, image_id=img_id, category_id=1)
            annotations.append(ann)
    return images, annotations


def _differences(old: Dict, new: Dict, prefix: str = '') -> List[str]:
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, f'{prefix}{key}.')
        elif a != b:
            out.append(f'{prefix}{key} {a} (asked: {b})')
    return out


def ensure_synthetic_coco(out_dir: str, **kwargs) -> bool:
    """Generate the dataset under ``out_dir`` (:func:`make_synthetic_coco`
    with ``kwargs``) unless it holds a set made with the same arguments;
    returns whether it generated it.

    Raises:
        ValueError: (one line) ``out_dir`` holds annotations made with
            other arguments (another scene, seed or size), or without the
            record ``annotations/synthetic_coco.json`` that says how they
            were made; nothing is overwritten.
    """
    wanted = _generation_record(**kwargs)
    ann_dir = osp.join(out_dir, 'annotations')
    record_file = osp.join(ann_dir, RECORD_FILE)
    if osp.isfile(record_file):
        try:
            with open(record_file) as fh:
                made = json.load(fh)
        except ValueError:
            made = {}
        diff = _differences(made, wanted)
        if not diff:
            return False
        if made.get('scene_name') and wanted['scene_name']:
            # two presets: their names say it, not their fields
            diff = [d for d in diff if not d.startswith('scene.')]
        raise ValueError(
            f'{out_dir} holds a synthetic set made with other arguments '
            f'({"; ".join(diff[:3])}{"; ..." if len(diff) > 3 else ""}): '
            f'delete it or choose another data root')
    if osp.isdir(ann_dir) and any(
            f.endswith('.json') for f in os.listdir(ann_dir)):
        raise ValueError(
            f'{out_dir} holds annotations but no {RECORD_FILE} saying how '
            f'they were made (an older or interrupted generation): delete '
            f'it or choose another data root')
    make_synthetic_coco(out_dir, **kwargs)
    return True
