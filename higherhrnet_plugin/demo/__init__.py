"""The CPU demo of ``make demo`` (``tools/demo.py``): its Runner config, its
wall-clock schedule and its pictures. Import the submodules directly."""
