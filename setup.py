# Copyright (c) mmext contributors. All rights reserved.
import os.path as osp

from setuptools import find_packages, setup


def readme():
    with open(osp.join(osp.dirname(__file__), 'README.md'),
              encoding='utf-8') as f:
        return f.read()


def get_version():
    scope = {}
    with open(osp.join('mmext', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'mmext/version.py', 'exec'), scope)
    return scope['__version__']


setup(
    name='mmext',
    version=get_version(),
    description='OpenMMLab toolbox extension for human-motion and video '
    'research (3D pose lifting, action recognition, ...)',
    long_description=readme(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
    include_package_data=True,
    python_requires='>=3.10',
    # The exact, tested set is in requirements.txt and is installed by
    # tools/install.sh (torch, mmcv and the OpenMMLab toolboxes need special
    # handling documented there); these are the import-level requirements.
    install_requires=[
        'torch>=2.6', 'mmengine>=0.10.7,<0.11', 'numpy', 'scipy', 'einops',
        'matplotlib'
    ],
    extras_require={
        'pose3d': ['mmpose==1.3.2', 'mmdet==3.3.0', 'mmcv>=2.1.0,<2.2.0'],
        'action': ['mmaction2==1.2.0', 'mmcv>=2.1.0,<2.2.0'],
        # GPU only: Triton Mamba2 kernels (docs/getting_started.md, "GPU
        # machines")
        'mamba': ['mamba-ssm==2.3.2.post1'],
        'tests': ['pytest', 'pytest-timeout', 'scikit-learn'],
    },
    license='Apache License 2.0',
    zip_safe=False)
