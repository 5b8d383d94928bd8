"""Checks of the plugin against numbers from the original implementation."""
from .dispatch import check_reference_file, reference_files

__all__ = ['check_reference_file', 'reference_files']
