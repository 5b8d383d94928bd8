"""Odd input images for the inference and dataset tests: tiny and huge
sizes, extreme aspect, constant and noise content, and the formats OpenCV
converts (grayscale, RGBA, 16-bit, CMYK, EXIF-rotated)."""
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np

#: name -> (height, width) as OpenCV reads the file (EXIF applied or not is
#: what the tests check)
SIZES = {
    '1x1.png': (1, 1), '7x7.png': (7, 7), '16x16.png': (16, 16),
    'aspect_1x20.png': (40, 800), 'black.png': (256, 256),
    'white.png': (256, 256), 'noise.png': (256, 256),
    'gray.png': (200, 300), 'rgba.png': (200, 300), '16bit.png': (200, 300),
    'cmyk.jpg': (200, 300), 'exif_rotated.jpg': (200, 300),
}
#: EXIF Orientation 6: "rotate 90 degrees clockwise to display"
EXIF_ORIENTATION = 6


def _noise(h, w, c=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, c),
                                                dtype=np.uint8)


def write_odd_images(folder: Path) -> dict:
    """Write every image of :data:`SIZES` into ``folder``; returns
    name -> path."""
    from PIL import Image
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / name for name in SIZES}
    for name in ('1x1.png', '7x7.png', '16x16.png', 'aspect_1x20.png',
                 'noise.png'):
        cv2.imwrite(str(paths[name]), _noise(*SIZES[name]))
    cv2.imwrite(str(paths['black.png']), np.zeros((256, 256, 3), np.uint8))
    cv2.imwrite(str(paths['white.png']),
                np.full((256, 256, 3), 255, np.uint8))
    cv2.imwrite(str(paths['gray.png']), _noise(200, 300, 1)[..., 0])
    cv2.imwrite(str(paths['rgba.png']), _noise(200, 300, 4))
    cv2.imwrite(str(paths['16bit.png']),
                _noise(200, 300).astype(np.uint16) * 257)
    Image.fromarray(_noise(200, 300, 4), mode='CMYK').save(
        paths['cmyk.jpg'], quality=90)
    exif = Image.Exif()
    exif[0x0112] = EXIF_ORIENTATION
    Image.fromarray(_noise(200, 300)).save(
        paths['exif_rotated.jpg'], quality=90, exif=exif.tobytes())
    return paths


def _black_png(path: Path, width: int, height: int) -> None:
    """A valid black 8-bit RGB PNG, streamed row by row (fast, small)."""
    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data +
                struct.pack('>I', zlib.crc32(kind + data)))

    z = zlib.compressobj(1)
    row = bytes(1 + 3 * width)  # filter byte 0, then black pixels
    idat = b''.join(z.compress(row) for _ in range(height)) + z.flush()
    path.write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(
        b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)) +
        chunk(b'IDAT', idat) + chunk(b'IEND', b''))


def write_huge_images(folder: Path, side: int = 10000,
                      kinds=('jpeg', 'png')) -> dict:
    """A ``side`` x ``side`` JPEG (constant grey) and/or PNG (black);
    returns ``{'jpeg': path, 'png': path}``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    if 'jpeg' in kinds:
        paths['jpeg'] = folder / f'huge_{side}.jpg'
        cv2.imwrite(str(paths['jpeg']), np.full((side, side, 3), 128,
                                                np.uint8),
                    [cv2.IMWRITE_JPEG_QUALITY, 50])
    if 'png' in kinds:
        paths['png'] = folder / f'huge_{side}.png'
        _black_png(paths['png'], side, side)
    return paths
