"""Analysis and benchmark logic behind ``tools/analysis/``. Import the
submodules directly: they pull in heavy dependencies that the package's own
import does not need."""

__all__ = [
    'backend_ap', 'budget_training', 'complexity', 'data_benchmark',
    'decode_benchmark', 'deploy_benchmark', 'error_breakdown',
    'generated_data', 'gpu_check', 'head_benchmark', 'head_benchmark_report',
    'head_configs', 'head_measurement', 'oracle_eval', 'original_parser',
    'people_agreement', 'rendered_maps', 'small_head_variants',
    'test_throughput', 'training_memory'
]
