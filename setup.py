"""Packaging for higherhrnet_plugin.

Versions come from ``requirements/constraints.txt`` (the one place they are
pinned). As in MMPose, ``configs/`` and ``tools/`` also ship inside the package
under ``higherhrnet_plugin/.mim`` so that ``mim`` and users outside the repository
find them: linked in an editable install, copied in a wheel.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
# What every install needs: the torch-free part (the deployment runtime's
# resize, decoder and result files). `pip install .` therefore pulls no torch.
BASE_REQUIREMENTS = ('numpy', 'opencv-python', 'pillow')
EXTRA_REQUIREMENTS = {
    # `pip install .[deploy]`: the runtime's engines (higherhrnet_plugin.deploy)
    'deploy': ('onnxruntime', 'openvino'),
    # the ONNX export, next to the full stack
    'export': ('onnx', ),
    # The OpenMMLab stack, for users who resolve it themselves. The supported
    # way is tools/install/install_stack.sh (`make install`): MMPose's
    # metadata pins packages that do not build on current Python and mmcv
    # must be built from source, so pip cannot resolve them all alone.
    'mmpose': ('mmpose', 'mmengine', 'mmcv', 'torch', 'scipy'),
}


def read_pins():
    """Pinned specifier of each package of requirements/constraints.txt."""
    pins = {}
    with open(osp.join(ROOT, 'requirements', 'constraints.txt')) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line:
                name = line.split('=')[0].split('<')[0].split('>')[0].strip()
                pins[name] = line
    return pins


def pinned(names, pins):
    # MMEngine may be upstream's package or the maintained onedl fork: both
    # install the `mmengine` module, so neither distribution name is required.
    return [pins[name] for name in names if name in pins]


def read_version():
    namespace = {}
    with open(osp.join(ROOT, 'higherhrnet_plugin', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def add_mim_extension():
    """Put configs/ and tools/ into higherhrnet_plugin/.mim."""
    editable = any(cmd in sys.argv for cmd in ('develop', 'editable_wheel'))
    if not editable and not any(
            cmd in sys.argv for cmd in ('install', 'bdist_wheel', 'sdist')):
        return
    mim_root = osp.join(ROOT, 'higherhrnet_plugin', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for name in ('configs', 'tools'):
        src, dst = osp.join(ROOT, name), osp.join(mim_root, name)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if editable:
            os.symlink(osp.relpath(src, mim_root), dst)
        else:
            shutil.copytree(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='higherhrnet_plugin',
        version=read_version(),
        description='HigherHRNet bottom-up pose estimation for MMPose 1.x',
        long_description=open(osp.join(ROOT, 'README.md')).read(),
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        python_requires='>=3.9',
        packages=find_packages(exclude=('configs', 'tools', 'tests')),
        include_package_data=True,
        package_data={'higherhrnet_plugin': ['.mim/configs/**/*.py',
                                              '.mim/tools/**/*', '.mim/tools/*']},
        install_requires=pinned(BASE_REQUIREMENTS, read_pins()),
        extras_require={
            extra: pinned(names, read_pins())
            for extra, names in EXTRA_REQUIREMENTS.items()
        },
        zip_safe=False)
