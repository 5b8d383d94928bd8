"""Which files are images, and reading one as the model expects it.

Images are read with OpenCV's ``IMREAD_COLOR`` (BGR uint8, as MMPose's
``LoadImage``): grayscale is replicated to 3 channels, alpha is dropped,
16-bit is scaled to 8-bit, CMYK is converted. An image over ``max_pixels``
is never decoded at full size: its header is read first (Pillow), and a
JPEG is decoded reduced by 2, 4 or 8 (libjpeg scales while decoding);
other formats over the limit are refused. Imports no torch.
"""
import math
import os
import os.path as osp
import warnings
from typing import List, Tuple

import cv2
import numpy as np

from .errors import ImageReadError, InferenceError, first_line

_IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff',
                    '.webp', '.ppm', '.pgm')
#: default ``max_pixels``: 25 Mpx (a 4000x6000 photo reads at full size)
MAX_PIXELS = 25_000_000
_REDUCED = {2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
            8: cv2.IMREAD_REDUCED_COLOR_8}


def list_images(path: str) -> List[str]:
    """``[path]`` for a file, or the image files of a folder (by extension,
    sorted by name, not recursive)."""
    if not osp.exists(path):
        raise InferenceError(f'input: no such file or folder {path!r}')
    if not osp.isdir(path):
        if not os.access(path, os.R_OK):
            raise InferenceError(
                f'input: cannot read {path!r} (permission denied)')
        return [path]
    try:
        names = sorted(os.listdir(path))
    except OSError as e:
        raise InferenceError(f'input: cannot list the folder {path!r}: '
                             f'{first_line(e)}')
    files = [osp.join(path, n) for n in names
             if n.lower().endswith(_IMAGE_EXTENSIONS)
             and osp.isfile(osp.join(path, n))]
    if not files:
        raise InferenceError(f'input: no image files '
                             f'({", ".join(_IMAGE_EXTENSIONS)}) in the folder '
                             f'{path!r}')
    return files


def _header(path: str):
    """(format, width, height) from the file header, or None when Pillow
    cannot read it (OpenCV may still)."""
    from PIL import Image
    try:
        with warnings.catch_warnings():
            # only the header is read: the size is checked below
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            with Image.open(path) as im:
                return im.format, im.size[0], im.size[1]
    except Exception:  # Pillow raises many types for what it cannot read
        return None


def read_image(path: str, max_pixels: int = MAX_PIXELS
               ) -> Tuple[np.ndarray, Tuple[float, float]]:
    """The image as BGR uint8 (H, W, 3), and the (x, y) factors from its
    pixels to the file's ((1, 1) unless a JPEG over ``max_pixels`` was
    decoded reduced).

    Raises:
        ImageReadError: unreadable, corrupt, or over ``max_pixels`` and not
            a JPEG (or over it even reduced 8x).
    """
    header = _header(path)
    flag, factor = cv2.IMREAD_COLOR, 1
    if header is not None and header[1] * header[2] > max_pixels:
        fmt, w, h = header
        limit = (f'{w}x{h} is {w * h / 1e6:.1f} Mpx, over the limit of '
                 f'{max_pixels / 1e6:g} Mpx (--max-pixels)')
        if fmt != 'JPEG':
            raise ImageReadError(f'{limit}; only a JPEG is decoded reduced')
        factor = next((f for f in (2, 4, 8) if math.ceil(w / f) *
                       math.ceil(h / f) <= max_pixels), None)
        if factor is None:
            raise ImageReadError(f'{limit} even decoded 8x reduced')
        flag = _REDUCED[factor]
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as e:
        raise ImageReadError(first_line(e))
    img = cv2.imdecode(data, flag) if data.size else None
    if img is None:
        raise ImageReadError(
            'not a readable image (empty, corrupt or unsupported)')
    if header is None and img.shape[0] * img.shape[1] > max_pixels:
        raise ImageReadError(
            f'{img.shape[1]}x{img.shape[0]} is over the limit of '
            f'{max_pixels / 1e6:g} Mpx (--max-pixels)')
    if factor == 1:
        return img, (1.0, 1.0)
    # libjpeg rounds the reduced sides up; EXIF rotation may swap them
    w, h = header[1:]
    if (img.shape[1] > img.shape[0]) != (w > h):
        w, h = h, w
    return img, (w / img.shape[1], h / img.shape[0])
