"""The docs site builds with ``mkdocs build --strict`` and lists every page."""
import os
import re
import subprocess
import sys

import yaml

from repo_paths import REPO


def _nav_pages(nav):
    """The page files a mkdocs ``nav`` names, at any depth."""
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            yield from _nav_pages(value)
        else:
            yield value


def test_docs_build_strict(tmp_path):
    env = dict(os.environ, NO_MKDOCS_2_WARNING='1')
    result = subprocess.run(
        [sys.executable, '-m', 'mkdocs', 'build', '--strict', '--config-file',
         str(REPO / 'mkdocs.yml'), '--site-dir', str(tmp_path / 'site')],
        capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / 'site' / 'index.html').is_file()


def test_every_page_is_in_the_nav():
    with open(REPO / 'mkdocs.yml') as f:
        config = yaml.safe_load(f)
    in_nav = set(_nav_pages(config['nav']))
    pages = {str(p.relative_to(REPO / 'docs'))
             for p in (REPO / 'docs').rglob('*.md')}
    assert pages - in_nav == set(), 'pages missing from mkdocs.yml nav'


def test_readme_links_to_repository_files_exist():
    """Relative links of README.md (configs, docs pages) name real files."""
    readme = (REPO / 'README.md').read_text()
    targets = re.findall(r'\]\(([^)#\s]+)(?:#[^)]*)?\)', readme)
    local = [t for t in targets if not re.match(r'[a-z]+://', t)]
    assert local, 'README.md links to no repository file'
    missing = [t for t in local if not (REPO / t).exists()]
    assert missing == [], 'README.md links to missing files'
