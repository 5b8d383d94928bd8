"""Analysis and benchmark logic behind ``tools/analysis/``. Import the
submodules directly: they pull in heavy dependencies that the package's own
import does not need."""
